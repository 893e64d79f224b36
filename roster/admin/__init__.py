"""The admin file: one YAML document describing the bureau, validated at the edge into a normalized copy."""

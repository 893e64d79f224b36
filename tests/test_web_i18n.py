"""Every Chinese string a template or a nav entry shows has an English translation (the switch is complete)."""

from __future__ import annotations

import re
from pathlib import Path

from roster.web.app import create_app
from roster.web.i18n import EN
from roster.web.templating import NAV, TEMPLATES_DIR

LITERAL = re.compile(r"""_\(\s*(["'])(.+?)\1""")
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_template_string_has_an_english_translation():
    create_app("sqlite://")  # imports every router, which registers its strings
    missing = []
    for path in sorted(Path(TEMPLATES_DIR).rglob("*.html")):
        for _, text in LITERAL.findall(path.read_text(encoding="utf-8")):
            if CJK.search(text) and text not in EN:
                missing.append(f"{path.relative_to(TEMPLATES_DIR)}: {text}")
    missing += [f"nav: {item.label}" for item in NAV if item.label not in EN]
    assert not missing, "\n".join(missing)


def test_english_pages_show_english_labels(client_for):
    client = client_for("p01")
    client.http.cookies.set("dutyflow_lang", "en")
    page = client.get("/").text
    assert "On duty now" in page and "Next handover" in page and "今日值班" not in page.split("<main>")[0]

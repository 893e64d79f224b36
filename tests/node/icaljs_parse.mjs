// Parses calendars with ical.js (Thunderbird's parser) for the Python tests: one process serves many calendars.
// Input: one JSON line per request, {"text": "BEGIN:VCALENDAR..."}. Output: one JSON line per request with the
// calendar's component names and its events, each instant as UTC milliseconds as ical.js resolves it through
// the calendar's own VTIMEZONE (no zone database of its own: exactly what a subscriber's Thunderbird sees).
import readline from "node:readline";
import ICAL from "ical.js";

function parse(text) {
  const root = new ICAL.Component(ICAL.parse(text));
  const events = root.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const start = event.startDate, end = event.endDate;
    return {
      uid: event.uid,
      start: start.toUnixTime() * 1000,
      end: end.toUnixTime() * 1000,
      tzid: start.timezone || (start.zone && start.zone.tzid) || null,
      summary: event.summary,
      description: event.description,
      status: vevent.getFirstPropertyValue("status"),
      sequence: event.sequence,
      alarms: vevent.getAllSubcomponents("valarm").length,
    };
  });
  return {
    name: root.name,
    components: root.getAllSubcomponents().map((c) => c.name),
    properties: Object.fromEntries(root.getAllProperties().map((p) => [p.name, String(p.getFirstValue())])),
    events,
  };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = { ok: true, ...parse(JSON.parse(line).text) };
  } catch (error) {
    answer = { ok: false, error: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}

//! The feeds' formats read as the chat lists them: RSS/Atom (`feed-rs`), iCalendar (`icalendar`),
//! and on-duty lists as JSON or CSV (`date`, `name`, `address`, `phone`).

use avisa_domain::chat::feeds::{FeedFormat, FeedItem, FeedReader};
use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventLike};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde::Deserialize;

/// Reads every format avisa takes.
#[derive(Debug, Clone, Copy)]
pub struct Formats;

/// A title or detail as one short line (feeds carry markup, line breaks and very long text).
fn line(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= 200 { joined } else { format!("{}…", joined.chars().take(199).collect::<String>()) }
}

/// From `today` on, soonest first.
fn upcoming(mut items: Vec<FeedItem>, today: Date) -> Vec<FeedItem> {
    items.retain(|item| item.date.is_none_or(|date| date >= today));
    items.sort_by_key(|item| (item.date, item.time));
    items
}

fn news(content: &[u8], zone: &TimeZone) -> Result<Vec<FeedItem>, String> {
    let feed = feed_rs::parser::parse(content).map_err(|e| format!("not an RSS or Atom feed: {e}"))?;
    let mut items: Vec<(Option<i64>, FeedItem)> = feed
        .entries
        .into_iter()
        .filter_map(|entry| {
            let title = line(&entry.title?.content);
            let when = entry.published.or(entry.updated).map(|at| at.timestamp());
            let date =
                when.and_then(|s| jiff::Timestamp::from_second(s).ok()).map(|at| at.to_zoned(zone.clone()).date());
            (!title.is_empty()).then_some((when, FeedItem { title, date, time: None, detail: None }))
        })
        .collect();
    items.sort_by_key(|(when, _)| std::cmp::Reverse(*when));
    Ok(items.into_iter().map(|(_, item)| item).collect())
}

/// An event's start in the tenant's time: a UTC time converted, a local one as written (a
/// council's calendar is in its own zone).
fn start(start: Option<&DatePerhapsTime>, zone: &TimeZone) -> (Option<Date>, Option<Time>) {
    let parsed = |text: String| text.parse::<DateTime>().ok();
    let at = match start {
        Some(DatePerhapsTime::Date(date)) => return (date.to_string().parse().ok(), None),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(at))) => {
            jiff::Timestamp::from_second(at.timestamp()).ok().map(|at| at.to_zoned(zone.clone()).datetime())
        }
        Some(DatePerhapsTime::DateTime(
            CalendarDateTime::Floating(at) | CalendarDateTime::WithTimezone { date_time: at, .. },
        )) => parsed(at.to_string()),
        None => None,
    };
    (at.map(DateTime::date), at.map(DateTime::time))
}

fn agenda(content: &[u8], today: Date, zone: &TimeZone) -> Result<Vec<FeedItem>, String> {
    let text = std::str::from_utf8(content).map_err(|e| format!("not an iCalendar file: {e}"))?;
    let calendar: icalendar::Calendar = text.parse().map_err(|e| format!("not an iCalendar file: {e}"))?;
    let items = calendar
        .events()
        .filter_map(|event| {
            let (date, time) = start(event.get_start().as_ref(), zone);
            let title = line(event.get_summary()?);
            Some(FeedItem { title, date, time, detail: event.get_location().map(line) })
        })
        .collect();
    Ok(upcoming(items, today))
}

/// One entry of an on-duty list (a pharmacy on duty on `date`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDuty {
    date: Date,
    name: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

impl From<OnDuty> for FeedItem {
    fn from(entry: OnDuty) -> Self {
        let detail = [entry.address, entry.phone].into_iter().flatten().filter(|s| !s.trim().is_empty());
        let detail = line(&detail.collect::<Vec<_>>().join(", "));
        Self {
            title: line(&entry.name),
            date: Some(entry.date),
            time: None,
            detail: (!detail.is_empty()).then_some(detail),
        }
    }
}

fn on_duty_json(content: &[u8], today: Date) -> Result<Vec<FeedItem>, String> {
    let entries: Vec<OnDuty> = serde_json::from_slice(content)
        .map_err(|e| format!("not a JSON array of {{date, name, address, phone}}: {e}"))?;
    Ok(upcoming(entries.into_iter().map(FeedItem::from).collect(), today))
}

fn on_duty_csv(content: &[u8], today: Date) -> Result<Vec<FeedItem>, String> {
    let mut reader = csv::Reader::from_reader(content);
    let entries = reader
        .deserialize::<OnDuty>()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| format!("line {}: not date,name,address,phone: {e}", i + 2)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(upcoming(entries.into_iter().map(FeedItem::from).collect(), today))
}

impl FeedReader for Formats {
    fn read(&self, format: FeedFormat, content: &[u8], today: Date, zone: &TimeZone) -> Result<Vec<FeedItem>, String> {
        match format {
            FeedFormat::Rss => news(content, zone),
            FeedFormat::Icalendar => agenda(content, today, zone),
            FeedFormat::Json => on_duty_json(content, today),
            FeedFormat::Csv => on_duty_csv(content, today),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        "2026-11-20".parse().unwrap()
    }

    fn madrid() -> TimeZone {
        TimeZone::get("Europe/Madrid").unwrap()
    }

    fn titles(items: &[FeedItem]) -> Vec<&str> {
        items.iter().map(|i| i.title.as_str()).collect()
    }

    #[test]
    fn rss_and_atom_news_are_read_newest_first() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Reus</title>
            <item><title>Tall de carrer</title><pubDate>Tue, 17 Nov 2026 08:00:00 +0000</pubDate></item>
            <item><title>  Nova   línia
              de bus </title><pubDate>Thu, 19 Nov 2026 08:00:00 +0000</pubDate></item>
            </channel></rss>"#;
        let items = Formats.read(FeedFormat::Rss, rss.as_bytes(), today(), &madrid()).unwrap();
        assert_eq!(titles(&items), ["Nova línia de bus", "Tall de carrer"]);
        assert_eq!(items[0].date, Some("2026-11-19".parse().unwrap()));
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><id>x</id><updated>2026-11-18T10:00:00Z</updated>
            <entry><title>Ple municipal</title><id>1</id><updated>2026-11-18T10:00:00Z</updated></entry></feed>"#;
        assert_eq!(
            titles(&Formats.read(FeedFormat::Rss, atom.as_bytes(), today(), &madrid()).unwrap()),
            ["Ple municipal"]
        );
        let refused = Formats.read(FeedFormat::Rss, b"<html>Moved</html>", today(), &madrid()).unwrap_err();
        assert!(refused.starts_with("not an RSS or Atom feed"), "{refused}");
    }

    #[test]
    fn the_agenda_is_read_from_today_on_soonest_first_with_time_and_place() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Reus//Agenda//CA\r\n\
            BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Madrid:20261126T190000\r\nSUMMARY:Concert de Santa Cecília\r\nLOCATION:Teatre Fortuny\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:2\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:20261121\r\nSUMMARY:Mercat de Nadal\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:3\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261101T100000Z\r\nSUMMARY:Castanyada\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:4\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261128T233000Z\r\nSUMMARY:Nit de museus\r\nEND:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let items = Formats.read(FeedFormat::Icalendar, ics.as_bytes(), today(), &madrid()).unwrap();
        assert_eq!(
            titles(&items),
            ["Mercat de Nadal", "Concert de Santa Cecília", "Nit de museus"],
            "past ones left out"
        );
        // 23:30 UTC on the 28th is 00:30 on the 29th in Madrid
        let museums = (items[2].date, items[2].time);
        assert_eq!(museums, (Some(jiff::civil::date(2026, 11, 29)), Some(jiff::civil::time(0, 30, 0, 0))));
        assert_eq!(items[1].time, Some(jiff::civil::time(19, 0, 0, 0)));
        assert_eq!(items[1].detail.as_deref(), Some("Teatre Fortuny"));
    }

    #[test]
    fn on_duty_pharmacies_are_read_from_json_or_csv_and_a_wrong_column_is_named() {
        let json = r#"[{"date": "2026-11-19", "name": "Farmàcia Vella"},
            {"date": "2026-11-20", "name": "Farmàcia Prim", "address": "Raval de Santa Anna 12", "phone": "977 00 00 00"}]"#;
        let items = Formats.read(FeedFormat::Json, json.as_bytes(), today(), &madrid()).unwrap();
        assert_eq!(titles(&items), ["Farmàcia Prim"]);
        assert_eq!(items[0].detail.as_deref(), Some("Raval de Santa Anna 12, 977 00 00 00"));
        let csv = "date,name,address,phone\n2026-11-21,Farmàcia Nova,Carrer Llovera 3,\n2026-11-20,Farmàcia Prim,,\n";
        assert_eq!(
            titles(&Formats.read(FeedFormat::Csv, csv.as_bytes(), today(), &madrid()).unwrap()),
            ["Farmàcia Prim", "Farmàcia Nova"]
        );
        let refused = Formats.read(FeedFormat::Csv, b"date,name\nyesterday,X\n", today(), &madrid()).unwrap_err();
        assert!(refused.starts_with("line 2:"), "{refused}");
        assert!(Formats.read(FeedFormat::Json, b"{}", today(), &madrid()).unwrap_err().starts_with("not a JSON array"));
    }
}

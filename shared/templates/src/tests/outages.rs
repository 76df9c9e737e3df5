use super::*;
use avisa_domain::ids::{OutageId, SectorId};
use avisa_domain::notice::AlertStage;
use avisa_domain::outage::{Outage, OutageArea, OutageStatus, OutageType, Window, template_values};
use avisa_domain::text::Text;

pub(super) fn outage(kind: OutageType, start: &str, end: &str, previous: Option<(&str, &str)>) -> Outage {
    let window = |start: &str, end: &str| Window { start: start.parse().unwrap(), expected_end: end.parse().unwrap() };
    Outage {
        tenant_id: fakes::tenant(),
        outage_id: OutageId::parse("o-20261120-4f2a9c").unwrap(),
        kind,
        window: window(start, end),
        area: OutageArea::NetworkSectors(vec![
            SectorId::parse("REUS-N1").unwrap(),
            SectorId::parse("REUS-N2").unwrap(),
        ]),
        note: Some(Text::parse("Obres <Sant Joan> & C/ d'Amunt").unwrap()),
        status: OutageStatus::Confirmed,
        revision: 2,
        alerts: vec![],
        announced: true,
        previous_window: previous.map(|(s, e)| window(s, e)),
        time_zone: fakes::default_settings().time_zone,
        changes: vec![],
        approval: None,
        version: 3,
    }
}

fn render(
    templates: &Templates,
    kind: NoticeKind,
    channel: Channel,
    locale: Locale,
    values: &serde_json::Value,
) -> String {
    let key = TemplateKey { kind, channel, locale };
    let (_, message) = templates.render(key, &values.clone().into(), SmsRules::default()).unwrap();
    let mut out = String::new();
    if let Some(subject) = &message.subject {
        let _ = writeln!(out, "Subject: {subject}");
    }
    let _ = writeln!(out, "{}", message.text);
    if let Some(parts) = message.parts {
        let _ = writeln!(out, "({parts} SMS parts)");
    }
    if let Some(html) = &message.html {
        let _ = writeln!(out, "----- html -----\n{html}");
    }
    out
}

/// Every stage, both types, same-day and multi-day windows, in every language; the note holds
/// characters HTML must escape and SMS must not.
#[test]
fn every_outage_message_renders_as_snapshotted() {
    let templates = Templates::load().unwrap();
    let same_day = outage(OutageType::Interruption, "2026-12-03T07:00:00Z", "2026-12-03T12:00:00Z", None);
    let moved = outage(
        OutageType::PressureDrop,
        "2026-12-04T21:00:00Z",
        "2026-12-05T05:00:00Z",
        Some(("2026-12-03T07:00:00Z", "2026-12-03T12:00:00Z")),
    );
    for locale in Locale::ALL {
        let mut out = String::new();
        for (stage, outage) in [
            (AlertStage::Advance, &same_day),
            (AlertStage::Correction, &moved),
            (AlertStage::Cancellation, &same_day),
            (AlertStage::Restored, &same_day),
        ] {
            let values = template_values(outage, stage, locale).unwrap();
            for channel in [Channel::Sms, Channel::Email] {
                let _ = writeln!(out, "===== {} {} =====", stage.as_str(), channel.as_str());
                out.push_str(&render(&templates, NoticeKind::OutageAlert, channel, locale, &values));
            }
        }
        let mut values = template_values(&same_day, AlertStage::Advance, locale).unwrap();
        values["alert"] = json!("48h");
        values["notified"] = json!({"recipients": 312, "sms": 280, "email": 20, "unreachable": 12, "failed": 2});
        values["area"] = json!({"sectors": ["REUS-N1", "REUS-N2"], "polygon": false});
        values["priority_only"] = json!(false);
        values["priority"] = json!([
            {"contract_id": "CT-0001", "kind": "hospital", "address": "Av. del Doctor Josep Laporte 1, Reus"},
            {"contract_id": "CT-0042", "kind": "medically_dependent", "address": "C. de Sant Joan 7, 2n 1a, Reus"},
        ]);
        let _ = writeln!(out, "===== call-centre briefing =====");
        out.push_str(&render(&templates, NoticeKind::OutageBriefing, Channel::Email, locale, &values));
        values["area"] = json!({"sectors": [], "polygon": true});
        values["priority"] = json!([]);
        values["priority_only"] = json!(true);
        let _ = writeln!(out, "===== call-centre briefing, polygon, early alert to priority customers only =====");
        out.push_str(&render(&templates, NoticeKind::OutageBriefing, Channel::Email, locale, &values));
        insta::assert_snapshot!(format!("outage-{locale}"), out);
    }
}

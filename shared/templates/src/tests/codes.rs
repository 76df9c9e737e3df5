//! Citizens never see an internal code: every state, finding, outcome and closure that reaches a
//! message is a phrase in the citizen's language (and in staff's reminders too).

use avisa_domain::complaints::{ComplaintState, Finding, Outcome, template_values};
use avisa_domain::text::Text;

use super::*;

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::parse(s).unwrap()
}

/// Every state, with every finding and outcome, and the closure by conciliation.
fn every_state() -> Vec<ComplaintState> {
    let mut states = vec![
        ComplaintState::Filed,
        ComplaintState::InspectionScheduled { at: text("26/11 10:00") },
        ComplaintState::ConciliationProposed { proposal: text("descompte"), corrected_amount: None },
        ComplaintState::ConciliationRejected,
        ComplaintState::ReconsiderationRequested,
        ComplaintState::Appealed,
        ComplaintState::Closed { how: text(avisa_domain::complaints::CONCILIATED) },
    ];
    states.extend(
        [Finding::LeakFound, Finding::NoLeak, Finding::MeterFault].map(|finding| ComplaintState::Inspected { finding }),
    );
    for outcome in [Outcome::Upheld, Outcome::PartlyUpheld, Outcome::Rejected] {
        states.push(ComplaintState::Resolved { outcome, corrected_amount: None });
        states.push(ComplaintState::Reconsidered { outcome, corrected_amount: None });
    }
    states
}

/// The codes the domain uses for these values (as stored and handed to templates).
fn codes(states: &[ComplaintState]) -> Vec<String> {
    let mut codes: Vec<String> = states.iter().map(|s| s.name().to_owned()).collect();
    for state in states {
        let value = serde_json::to_value(state).unwrap();
        for key in ["finding", "outcome", "how"] {
            codes.extend(value.get(key).and_then(|v| v.as_str()).map(str::to_owned));
        }
    }
    codes.sort();
    codes.dedup();
    codes
}

/// The code shows as a code: anywhere when it has an underscore; quoted or in brackets when it
/// is one word (which may be a plain English word: "closed", "appealed").
fn shows(message: &str, code: &str, locale: Locale) -> bool {
    if code.contains('_') {
        return message.contains(code);
    }
    let quoted = ["«{}»", "“{}”", "\"{}\"", "({})", "[{}]"].iter().any(|q| message.contains(&q.replace("{}", code)));
    let bare = locale != Locale::En && message.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == code);
    quoted || bare
}

#[test]
fn every_complaint_value_reaches_citizens_and_staff_as_a_phrase_in_their_language() {
    let templates = Templates::load().unwrap();
    let states = every_state();
    let codes = codes(&states);
    let zone = fakes::default_settings().time_zone;
    for locale in Locale::ALL {
        for state in &states {
            let values = json!({"locale": locale, "customer": {"name": "Maria"}, "contract_id": "CT-0001",
                "complaint": template_values(&complaints::at_step(state.clone()), &zone)});
            let rendered = [
                (NoticeKind::ComplaintUpdate, Channel::Sms),
                (NoticeKind::ComplaintUpdate, Channel::Email),
                (NoticeKind::ComplaintReminder, Channel::Email),
            ]
            .map(|(kind, channel)| {
                let (_, message) = templates
                    .render(TemplateKey { kind, channel, locale }, &values.clone().into(), SmsRules::default())
                    .unwrap();
                format!(
                    "{}\n{}\n{}",
                    message.subject.unwrap_or_default(),
                    message.text,
                    message.html.unwrap_or_default()
                )
            });
            for (message, code) in rendered.iter().flat_map(|m| codes.iter().map(move |c| (m, c))) {
                assert!(
                    !shows(message, code, locale),
                    "{locale}, {}: the code {code:?} shows in\n{message}",
                    state.name()
                );
            }
        }
    }
}

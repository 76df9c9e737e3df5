//! Incident photos copied from WhatsApp into the media bucket: at once, again on a schedule after
//! a failure while WhatsApp keeps them, refused with the reason when they are no image or too
//! large, recorded as lost when every try failed.

use super::line::{CITIZEN, inbound, line_fakes};
use super::*;
use crate::PortError;
use crate::chat::photos::{Kept, PhotoKeeper};
use crate::queues::{ChatJob, PhotoDue};

const MEDIA: &str = "1485210962315254";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0 a streetlight, off";

/// GIVEN a citizen who reported an incident with a photo: the job to keep it.
async fn reported(f: &Fakes, media_id: &str) -> PhotoDue {
    let line = f.chat_line();
    let steps = [
        text("hola"),
        choose("incident"),
        choose("lighting"),
        text("The streetlight is off"),
        text("Carrer Major 3"),
        Said::Image { media_id: media_id.into(), caption: None },
    ];
    for (i, what) in steps.into_iter().enumerate() {
        line.receive(&inbound(&format!("wamid.p{i}"), CITIZEN, what)).await.unwrap();
    }
    let jobs = f.chat_jobs.jobs();
    let [ChatJob::KeepPhoto(due)] = &jobs[..] else { panic!("one photo to keep: {jobs:?}") };
    due.clone()
}

fn keeper(f: &Fakes) -> PhotoKeeper<'_> {
    PhotoKeeper { line: f.chat_line(), source: &f.media, store: &f.media }
}

fn copy(f: &Fakes) -> PhotoCopy {
    f.chat.incidents()[0].photos[0].copy.clone()
}

/// The retry the last failure scheduled.
fn retry(f: &Fakes) -> PhotoDue {
    let scheduled = f.chat_timers.scheduled();
    let Some(Scheduled::Chat(ChatJob::KeepPhoto(next))) = scheduled.last().map(|s| s.job.clone()) else {
        panic!("a retry is scheduled: {scheduled:?}")
    };
    next
}

fn unavailable() -> PortError {
    PortError::transient("whatsapp.media", std::io::Error::other("503 Service Unavailable"))
}

#[tokio::test]
async fn a_photo_is_copied_into_the_tenants_part_of_the_bucket_once() {
    let f = line_fakes().await;
    f.media.put(MEDIA, "image/jpeg", JPEG);
    let due = reported(&f, MEDIA).await;
    // WHEN the job runs, twice (SQS may deliver it again)
    assert_eq!(keeper(&f).keep(&due).await.unwrap(), Kept::Stored);
    assert_eq!(keeper(&f).keep(&due).await.unwrap(), Kept::Settled);
    // THEN the photo is under the tenant's id, and the incident points to it
    let reference = &f.chat.incidents()[0].reference;
    let key = format!("aigues-reus/incidents/{reference}/{MEDIA}.jpg");
    assert_eq!(f.media.kept(&key), Some(("image/jpeg".to_owned(), JPEG.to_vec())));
    assert_eq!(copy(&f), PhotoCopy::Stored { key, content_type: "image/jpeg".into(), bytes: JPEG.len() as u64 });
    // AND another tenant's job for that reference finds nothing of theirs
    let other = PhotoDue { tenant_id: TenantId::parse("ajuntament-manresa").unwrap(), ..due };
    assert_eq!(keeper(&f).keep(&other).await.unwrap(), Kept::Settled);
}

#[tokio::test]
async fn a_failing_media_endpoint_is_tried_again_later_until_it_answers() {
    let f = line_fakes().await;
    f.media.put(MEDIA, "image/jpeg", JPEG);
    let due = reported(&f, MEDIA).await;
    // GIVEN WhatsApp's endpoint fails twice
    f.media.fail_with([unavailable(), unavailable()]);
    assert_eq!(keeper(&f).keep(&due).await.unwrap(), Kept::Retrying);
    // THEN a second try is scheduled a minute later, and staff see why the photo is not there yet
    let second = retry(&f);
    assert_eq!((second.attempt, f.chat_timers.scheduled()[0].at.to_string()), (1, "2026-11-20T09:01:00".into()));
    assert!(matches!(copy(&f), PhotoCopy::Fetching { attempts: 1, last_error: Some(e) } if e.contains("503")));
    assert_eq!(keeper(&f).keep(&second).await.unwrap(), Kept::Retrying);
    let third = retry(&f);
    assert_eq!((third.attempt, f.chat_timers.scheduled()[1].at.to_string()), (2, "2026-11-20T09:10:00".into()));
    // WHEN it answers
    assert_eq!(keeper(&f).keep(&third).await.unwrap(), Kept::Stored);
    assert!(matches!(copy(&f), PhotoCopy::Stored { .. }));
}

#[tokio::test]
async fn a_photo_never_fetched_within_its_lifetime_is_recorded_as_lost() {
    let f = line_fakes().await;
    let due = reported(&f, MEDIA).await;
    // GIVEN the sixth retry failed, with 72 hours to wait that WhatsApp does not give
    f.media.fail_with([unavailable()]);
    let last = PhotoDue { attempt: 6, ..due.clone() };
    assert_eq!(keeper(&f).keep(&last).await.unwrap(), Kept::Lost);
    assert!(matches!(copy(&f), PhotoCopy::Lost { attempts: 7, reason } if reason.contains("503")));
    assert!(f.chat_timers.scheduled().is_empty());
}

#[tokio::test]
async fn a_medium_whatsapp_no_longer_has_is_lost_at_once_and_a_late_retry_too() {
    let f = line_fakes().await;
    let due = reported(&f, MEDIA).await;
    // WhatsApp answers "no such media" (never put in the fake): final
    assert_eq!(keeper(&f).keep(&due).await.unwrap(), Kept::Lost);
    let f = line_fakes().await;
    let due = reported(&f, MEDIA).await;
    f.media.fail_with([unavailable()]);
    // received six and a half days ago: a retry a day later would be past its lifetime
    let late = PhotoDue { received_at: now() - SignedDuration::from_hours(156), attempt: 4, ..due };
    assert_eq!(keeper(&f).keep(&late).await.unwrap(), Kept::Lost);
}

#[tokio::test]
async fn what_is_not_an_image_or_too_large_is_refused_and_the_citizen_told_why() {
    for (content_type, size, reason) in [
        ("text/html", 100, "text/html is not a JPEG or PNG image"),
        ("image/jpeg", 6 * 1024 * 1024, "6 MB is over the 5 MB an image may have"),
    ] {
        let f = line_fakes().await;
        f.media.put(MEDIA, content_type, &vec![b'x'; size]);
        let due = reported(&f, MEDIA).await;
        let replies = f.dispatch.jobs().len();
        assert_eq!(keeper(&f).keep(&due).await.unwrap(), Kept::Refused);
        assert_eq!(copy(&f), PhotoCopy::Refused { reason: reason.into() });
        assert_eq!(f.dispatch.jobs().len(), replies + 1, "the citizen is told");
        let job = f.dispatch.jobs().last().cloned().unwrap();
        let notice = f.notices.notice(&job.tenant_id, &job.notice_id).await.unwrap().unwrap();
        let text = notice.messages[0].content.clone().unwrap().text;
        assert!(text.starts_with("ca:photo_refused") && text.contains("INC-"), "{text}");
    }
}

#[tokio::test]
async fn a_download_that_does_not_match_its_digest_or_an_id_that_is_a_path_is_not_kept() {
    let f = line_fakes().await;
    f.media.put(MEDIA, "image/jpeg", JPEG);
    let due = reported(&f, MEDIA).await;
    f.media.replace_digest(MEDIA, "00".repeat(32)); // what arrives is not what WhatsApp described
    assert_eq!(keeper(&f).keep(&due).await.unwrap(), Kept::Retrying);
    assert!(matches!(copy(&f), PhotoCopy::Fetching { last_error: Some(e), .. } if e.contains("SHA-256")));
    let f = line_fakes().await;
    let due = reported(&f, "../../me").await;
    assert_eq!(keeper(&f).keep(&due).await.unwrap(), Kept::Refused);
}

//! Incident photos kept, end to end: the webhook files the incident and queues its photo;
//! chat-timers copies it from the Graph API stand-in's media endpoint into the media bucket (moto
//! S3) under the tenant's id, tries again on a schedule when the endpoint fails, and refuses what
//! is no image, telling the citizen why.

use avisa_local::schedules;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::chat::{Line, fresh, fresh_text, texts};

const MEDIA: &str = "1485210962315254";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF a broken streetlight";

/// A citizen reports a broken streetlight with a photo (`media_id`), through signed webhooks.
async fn report_with_photo(line: &Line, media_id: &str) {
    let pick = |id: &str, row: &str| {
        fresh(
            id,
            json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": row, "title": row}}}),
        )
    };
    line.post_request(&fresh_text("wamid.photo.1", "hola")).await;
    line.post_request(&pick("wamid.photo.2", "incident")).await;
    line.post_request(&pick("wamid.photo.3", "lighting")).await;
    line.post_request(&fresh_text("wamid.photo.4", "El fanal de la cantonada no s'encén")).await;
    line.post_request(&fresh_text("wamid.photo.5", "Carrer Major 3")).await;
    let image = json!({"type": "image", "image": {"id": media_id, "mime_type": "image/jpeg", "sha256": "x"}});
    let (status, answer) = line.post_request(&fresh("wamid.photo.6", image)).await;
    assert_eq!(status, 200, "{answer}");
}

async fn incident(line: &Line) -> Value {
    let (status, listed) = line.desk("GET", "/incidents", None).await;
    assert_eq!(status, 200, "{listed}");
    listed["incidents"][0].clone()
}

async fn object(line: &Line, key: &str) -> Option<(String, Vec<u8>)> {
    let s3 = aws_sdk_s3::Client::new(&line.stack.sdk);
    let bucket = &line.stack.provisioned.buckets["ChatMediaBucket"];
    let object = s3.get_object().bucket(bucket).key(key).send().await.ok()?;
    let content_type = object.content_type.clone().unwrap_or_default();
    Some((content_type, object.body.collect().await.unwrap().into_bytes().to_vec()))
}

#[tokio::test]
async fn an_incident_photo_is_copied_into_the_media_bucket_under_the_tenants_id() {
    // GIVEN WhatsApp holds the citizen's photo
    let line = Line::start(|_| {}).await;
    line.graph.put_media(MEDIA, "image/jpeg", JPEG);
    // WHEN they report an incident with it
    report_with_photo(&line, MEDIA).await;
    // THEN the incident points to its copy, which is the photo, under the tenant's id
    let incident = incident(&line).await;
    let reference = incident["reference"].as_str().unwrap();
    let key = format!("aigues-reus/incidents/{reference}/{MEDIA}.jpg");
    let copy = &incident["photos"][0]["copy"];
    assert_eq!(copy, &json!({"state": "stored", "key": key, "content_type": "image/jpeg", "bytes": JPEG.len()}));
    assert_eq!(object(&line, &key).await, Some(("image/jpeg".to_owned(), JPEG.to_vec())));
    assert!(line.stack.violations().is_empty(), "{:?}", line.stack.violations());
}

#[tokio::test]
async fn a_failing_media_endpoint_is_tried_again_on_a_schedule() {
    // GIVEN WhatsApp's media endpoint fails once
    let line = Line::start(|_| {}).await;
    line.graph.put_media(MEDIA, "image/jpeg", JPEG);
    line.graph.fail_media(1);
    let reported = Timestamp::now();
    report_with_photo(&line, MEDIA).await;
    // THEN staff see why the photo is not there yet, and a try is scheduled a minute later
    let copy = incident(&line).await["photos"][0]["copy"].clone();
    assert_eq!((copy["state"].as_str(), copy["attempts"].as_u64()), (Some("fetching"), Some(1)), "{copy}");
    assert!(copy["last_error"].as_str().unwrap().contains("503"), "{copy}");
    let scheduled = schedules::list(&line.stack).await.unwrap();
    assert_eq!(scheduled.len(), 1, "{scheduled:#?}");
    // WHEN it fires
    assert_eq!(schedules::fire_due(&line.stack, reported + SignedDuration::from_mins(2)).await.unwrap(), 1);
    line.deliver().await;
    // THEN the photo is kept
    let copy = incident(&line).await["photos"][0]["copy"].clone();
    assert_eq!(copy["state"], "stored", "{copy}");
    assert!(object(&line, copy["key"].as_str().unwrap()).await.is_some());
    assert!(line.stack.violations().is_empty(), "{:?}", line.stack.violations());
}

#[tokio::test]
async fn what_is_not_an_image_is_refused_the_citizen_told_and_nothing_stored() {
    let line = Line::start(|_| {}).await;
    line.graph.put_media(MEDIA, "text/html", b"<html>not a photo</html>");
    report_with_photo(&line, MEDIA).await;
    let incident = incident(&line).await;
    let copy = &incident["photos"][0]["copy"];
    assert_eq!(copy, &json!({"state": "refused", "reason": "text/html is not a JPEG or PNG image"}));
    let told = texts(&line.sent).last().unwrap().clone();
    assert!(told.starts_with("No hem pogut desar la foto de la incidència INC-") && told.contains("JPEG"), "{told}");
    let reference = incident["reference"].as_str().unwrap();
    assert_eq!(object(&line, &format!("aigues-reus/incidents/{reference}/{MEDIA}.jpg")).await, None);
}

//! What an AWS request asks for, read off the wire: the caller (the SDK's `app/<name>`), the
//! service (`SigV4`'s credential scope), the IAM action and the resources it acts on.

use serde_json::Value;

use crate::template::{ACCOUNT, REGION};

/// One request as IAM would authorise it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Authorised {
    /// `dynamodb:PutItem`, `iam:PassRole`…
    pub action: String,
    pub resource: String,
}

/// A request, understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsRequest {
    /// The function that made it (`None`: the harness itself).
    pub caller: Option<String>,
    /// `SigV4`'s signing name: `dynamodb`, `sqs`, `ses`, `sns`, `s3`, `scheduler`.
    pub service: String,
    /// What IAM checks for it (one request can need two, e.g. `CreateSchedule` and `PassRole`).
    pub authorised: Vec<Authorised>,
    /// Who a send goes to (an SMS's number, an email's first recipient), to explain duplicates.
    pub recipient: Option<String>,
}

impl AwsRequest {
    /// The IAM action of the request itself (the first one authorised).
    pub fn action(&self) -> &str {
        self.authorised.first().map_or("unknown", |a| a.action.as_str())
    }
}

/// The `app/<name>` token the SDK adds to its user agent when a client is given an app name.
fn caller(user_agent: &str) -> Option<String> {
    user_agent.split_whitespace().find_map(|token| token.strip_prefix("app/")).map(str::to_owned)
}

/// `Credential=AKID/20261201/eu-west-1/dynamodb/aws4_request` → `dynamodb`.
fn signing_service(authorization: &str) -> Option<String> {
    let credential = authorization.split("Credential=").nth(1)?;
    credential.split(['/', ',']).nth(3).map(str::to_owned)
}

fn form_value<'a>(body: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    body.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['%', '+']) {
        return text.into();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned().into()
}

fn query_value<'a>(query: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    form_value(query, name)
}

/// A batch action is authorised as its single form.
fn single(action: &str) -> &str {
    action.strip_suffix("Batch").unwrap_or(action)
}

/// Cognito's operations that a client calls without AWS credentials.
const UNSIGNED_COGNITO: &[&str] = &["InitiateAuth", "RespondToAuthChallenge", "RevokeToken", "GetUser"];

/// Reads the request. `path` excludes the query, which is `query`.
pub fn understand(method: &str, path: &str, query: &str, headers: &http::HeaderMap, body: &[u8]) -> AwsRequest {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let caller = caller(header("user-agent")).or_else(|| caller(header("x-amz-user-agent")));
    let service = signing_service(header("authorization")).unwrap_or_default();
    let target = header("x-amz-target");
    // Signing in is not signed: Cognito checks the password itself, and IAM authorises nothing.
    if service.is_empty() && target.starts_with("AWSCognitoIdentityProviderService.") {
        let operation = target.rsplit('.').next().unwrap_or_default();
        let authorised = if UNSIGNED_COGNITO.contains(&operation) {
            Vec::new()
        } else {
            vec![Authorised { action: format!("cognito-idp:{operation}"), resource: "*".to_owned() }]
        };
        return AwsRequest { caller, service: "cognito-idp".to_owned(), authorised, ..AwsRequest::default() };
    }
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let operation = target.rsplit('.').next().unwrap_or_default();
    let one = |action: String, resource: String| vec![Authorised { action, resource }];
    let mut recipient = None;
    let authorised = match service.as_str() {
        // A batch names its tables in RequestItems: authorised on each.
        "dynamodb" if json["TableName"].is_null() && json["RequestItems"].is_object() => json["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|tables| tables.keys())
            .map(|table| Authorised {
                action: format!("dynamodb:{operation}"),
                resource: format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"),
            })
            .collect(),
        "dynamodb" => {
            let table = json["TableName"].as_str().unwrap_or("*");
            let mut resource = format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}");
            if let Some(index) = json["IndexName"].as_str() {
                resource = format!("{resource}/index/{index}");
            }
            one(format!("dynamodb:{operation}"), resource)
        }
        "sqs" => {
            let queue = json["QueueUrl"].as_str().and_then(|url| url.rsplit('/').next()).unwrap_or("*");
            one(format!("sqs:{}", single(operation)), format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"))
        }
        "sns" => {
            let body = String::from_utf8_lossy(body);
            let action = form_value(&body, "Action").unwrap_or_default().into_owned();
            recipient = form_value(&body, "PhoneNumber").map(std::borrow::Cow::into_owned);
            let resource = form_value(&body, "TopicArn").map_or_else(|| "*".to_owned(), std::borrow::Cow::into_owned);
            one(format!("sns:{action}"), resource)
        }
        "ses" => {
            let action = match (method, path) {
                ("POST", "/v2/email/outbound-emails") => "SendEmail",
                ("POST", "/v2/email/outbound-bulk-emails") => "SendBulkEmail",
                ("GET", "/v2/email/account") => "GetAccount",
                _ => "Unknown",
            };
            recipient = json["Destination"]["ToAddresses"][0].as_str().map(str::to_owned);
            let from = json["FromEmailAddress"].as_str().unwrap_or("*");
            one(format!("ses:{action}"), format!("arn:aws:ses:{REGION}:{ACCOUNT}:identity/{from}"))
        }
        "s3" => {
            let (bucket, key) =
                path.trim_start_matches('/').split_once('/').unwrap_or((path.trim_start_matches('/'), ""));
            // IAM names an action after what the request does: a version's delete, a listing of
            // versions, are actions of their own.
            let asks = |name: &str| query.split('&').any(|pair| pair.split('=').next() == Some(name));
            let action = match (method, key.is_empty()) {
                ("GET" | "HEAD", false) => "GetObject",
                ("PUT", false) => "PutObject",
                ("DELETE", false) if asks("versionId") => "DeleteObjectVersion",
                ("DELETE", false) => "DeleteObject",
                ("GET" | "HEAD", true) if asks("versions") => "ListBucketVersions",
                ("GET" | "HEAD", true) => "ListBucket",
                ("PUT", true) => "CreateBucket",
                _ => "Unknown",
            };
            let resource =
                if key.is_empty() { format!("arn:aws:s3:::{bucket}") } else { format!("arn:aws:s3:::{bucket}/{key}") };
            one(format!("s3:{action}"), resource)
        }
        "scheduler" => scheduler(method, path, query, &json),
        "cognito-idp" => {
            let pool = json["UserPoolId"].as_str().unwrap_or("*");
            one(format!("cognito-idp:{operation}"), format!("arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool}"))
        }
        "secretsmanager" => {
            one(format!("secretsmanager:{operation}"), json["SecretId"].as_str().unwrap_or("*").to_owned())
        }
        other => one(format!("{other}:{operation}"), "*".to_owned()),
    };
    AwsRequest { caller, service, authorised, recipient }
}

fn scheduler(method: &str, path: &str, query: &str, json: &Value) -> Vec<Authorised> {
    let name = path.strip_prefix("/schedules/").map(|n| percent_decode(n).into_owned());
    let action = match (method, &name) {
        ("POST", Some(_)) => "CreateSchedule",
        ("PUT", Some(_)) => "UpdateSchedule",
        ("DELETE", Some(_)) => "DeleteSchedule",
        ("GET", Some(_)) => "GetSchedule",
        ("GET", None) => "ListSchedules",
        _ => "Unknown",
    };
    let group = json["GroupName"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| query_value(query, "groupName").map(std::borrow::Cow::into_owned))
        .unwrap_or_else(|| "default".to_owned());
    let resource = format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{}", name.unwrap_or_default());
    let mut authorised = vec![Authorised { action: format!("scheduler:{action}"), resource }];
    // A schedule acts as a role: creating one passes it.
    if let Some(role) = json["Target"]["RoleArn"].as_str() {
        authorised.push(Authorised { action: "iam:PassRole".to_owned(), resource: role.to_owned() });
    }
    authorised
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=testing/20261201/eu-west-1/{service}/aws4_request, SignedHeaders=host, Signature=x";

    #[test]
    fn a_dynamodb_batch_read_is_authorised_on_its_table() {
        let h = headers(&[
            ("authorization", &AUTH.replace("{service}", "dynamodb")),
            ("x-amz-target", "DynamoDB_20120810.BatchGetItem"),
            ("user-agent", "aws-sdk-rust/1.3 os/linux app/notice-composer"),
        ]);
        let body = br#"{"RequestItems":{"avisa-Table":{"Keys":[{"pk":{"S":"a"}},{"pk":{"S":"b"}},{"pk":{"S":"c"}}]}}}"#;
        let request = understand("POST", "/", "", &h, body);
        assert_eq!(request.action(), "dynamodb:BatchGetItem");
        assert_eq!(request.authorised[0].resource, format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/avisa-Table"));
    }

    #[test]
    fn a_dynamodb_batch_write_is_authorised_on_its_table() {
        let h = headers(&[
            ("authorization", &AUTH.replace("{service}", "dynamodb")),
            ("x-amz-target", "DynamoDB_20120810.BatchWriteItem"),
        ]);
        let put = r#"{"PutRequest":{"Item":{"pk":{"S":"a"},"sk":{"S":"b"}}}}"#;
        let body = format!(r#"{{"RequestItems":{{"avisa-Table":[{put},{put}]}}}}"#);
        let request = understand("POST", "/", "", &h, body.as_bytes());
        assert_eq!(request.action(), "dynamodb:BatchWriteItem");
        assert_eq!(request.authorised.len(), 1);
    }

    #[test]
    fn a_dynamodb_query_on_an_index_is_authorised_on_the_index() {
        let h = headers(&[
            ("authorization", &AUTH.replace("{service}", "dynamodb")),
            ("x-amz-target", "DynamoDB_20120810.Query"),
            ("user-agent", "aws-sdk-rust/1.3 os/linux app/notice-composer"),
        ]);
        let request = understand("POST", "/", "", &h, br#"{"TableName":"avisa-Table","IndexName":"gsi3"}"#);
        assert_eq!(request.caller.as_deref(), Some("notice-composer"));
        assert_eq!(
            request.authorised,
            [Authorised {
                action: "dynamodb:Query".into(),
                resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/avisa-Table/index/gsi3".into()
            }]
        );
    }

    #[test]
    fn an_sms_publish_names_its_recipient_and_a_schedule_passes_its_role() {
        let sns = headers(&[("authorization", &AUTH.replace("{service}", "sns"))]);
        let request = understand(
            "POST",
            "/",
            "",
            &sns,
            b"Action=Publish&PhoneNumber=%2B34600111001&Message=Hola&Version=2010-03-31",
        );
        assert_eq!(request.action(), "sns:Publish");
        assert_eq!(request.recipient.as_deref(), Some("+34600111001"));
        let scheduler = headers(&[("authorization", &AUTH.replace("{service}", "scheduler"))]);
        let body = br#"{"GroupName":"avisa-NoticeScheduleGroup","Target":{"RoleArn":"arn:aws:iam::123456789012:role/avisa-SchedulerRole"}}"#;
        let request = understand("POST", "/schedules/n-1", "", &scheduler, body);
        let actions: Vec<&str> = request.authorised.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["scheduler:CreateSchedule", "iam:PassRole"]);
        assert_eq!(
            request.authorised[0].resource,
            "arn:aws:scheduler:eu-west-1:123456789012:schedule/avisa-NoticeScheduleGroup/n-1"
        );
    }
}

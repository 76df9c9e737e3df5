//! Least privilege, checked: each function's role in `infra/template.yaml` against the calls the
//! function really made (recorded by [`crate::proxy`]). A call its role does not allow fails the
//! test that made it — on AWS it would be `AccessDenied` — and grants no test ever used are listed.
//!
//! A function's role is the `AWS::IAM::Role` its `Role: !GetAtt SomeRole.Arn` names (its inline
//! `Policies`), or, where SAM generates the role, the function's own `Policies`. The role's policy
//! named [`LAMBDA_SERVICE_POLICY`] holds what Lambda itself does with the role (poll the event
//! source's queue, write the log group, dead-letter an asynchronous invocation): the function's
//! code never makes those calls, so they are not listed as unused.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use crate::LocalError;
use crate::proxy::Call;
use crate::template::{Resource, Template};

/// The policy of a function's role that Lambda, not the function's code, uses.
pub const LAMBDA_SERVICE_POLICY: &str = "lambda-service";

/// One allowed (or, in [`Grants`]' denials, denied) action on one resource pattern, of one
/// function's role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Grant {
    pub function: String,
    pub action: String,
    pub resource: String,
    /// Used by Lambda on the function's behalf (the role's [`LAMBDA_SERVICE_POLICY`]).
    pub by_lambda: bool,
}

/// A call its function's role does not allow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub function: String,
    pub action: String,
    pub resource: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} called {} on {}", self.function, self.action, self.resource)
    }
}

/// Every function's grants and denials, by binary name.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    by_function: BTreeMap<String, Vec<Grant>>,
    /// `Deny` statements: they win over any `Allow`, as in IAM.
    denied: BTreeMap<String, Vec<Grant>>,
}

fn strings(value: &Value, resolve: &dyn Fn(&Value) -> Result<String, LocalError>) -> Result<Vec<String>, LocalError> {
    match value {
        Value::Sequence(items) => items.iter().map(resolve).collect(),
        Value::Null => Ok(Vec::new()),
        single => Ok(vec![resolve(single)?]),
    }
}

/// The logical id of the role in `Role: !GetAtt SomeRole.Arn` (or `[SomeRole, Arn]`).
fn role_id(role: &Value) -> Option<&str> {
    let Value::Tagged(tagged) = role else { return None };
    if tagged.tag != "GetAtt" {
        return None;
    }
    match &tagged.value {
        Value::String(path) => path.strip_suffix(".Arn"),
        Value::Sequence(parts) if parts.len() == 2 && parts[1].as_str() == Some("Arn") => parts[0].as_str(),
        _ => None,
    }
}

/// `(policy name, policy document)` of each policy of a function's role.
fn policies<'a>(template: &'a Template, function: &'a Resource) -> Result<Vec<(&'a str, &'a Value)>, LocalError> {
    let id = &function.logical_id;
    let own = &function.properties["Policies"];
    let role = &function.properties["Role"];
    if role.is_null() {
        return Ok(own.as_sequence().into_iter().flatten().map(|policy| ("Policies", policy)).collect());
    }
    if !own.is_null() {
        return Err(LocalError::Template(format!(
            "{id} has both Role and Policies; SAM ignores Policies when Role is given: put the statements in the role"
        )));
    }
    let role_id = role_id(role).ok_or_else(|| {
        LocalError::Template(format!("{id}: Role must be !GetAtt SomeRole.Arn of a role in the template"))
    })?;
    let role = template.resources.get(role_id).filter(|r| r.kind == "AWS::IAM::Role").ok_or_else(|| {
        LocalError::Template(format!("{id}: Role names {role_id}, which is not an AWS::IAM::Role here"))
    })?;
    Ok(role.properties["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|policy| (policy["PolicyName"].as_str().unwrap_or_default(), &policy["PolicyDocument"]))
        .collect())
}

impl Grants {
    /// The statements of every function's role, intrinsics resolved.
    pub fn from_template(template: &Template) -> Result<Self, LocalError> {
        // Each local stack's pool has an id of moto's choosing: a grant on the pool matches any.
        let any_pool = crate::cognito::any_ids(template);
        let resolver = template.resolver("").with_assigned(&any_pool);
        let resolve = |value: &Value| resolver.string(value);
        let (mut by_function, mut denied) = (BTreeMap::new(), BTreeMap::new());
        for function in template.of_kind("AWS::Serverless::Function") {
            let binary =
                function.metadata["BuildProperties"]["Binary"].as_str().unwrap_or(&function.logical_id).to_owned();
            let (mut grants, mut denials) = (Vec::new(), Vec::new());
            for (name, document) in policies(template, function)? {
                for statement in document["Statement"].as_sequence().into_iter().flatten() {
                    let into = match statement["Effect"].as_str() {
                        Some("Allow") => &mut grants,
                        Some("Deny") => &mut denials,
                        _ => continue,
                    };
                    for action in strings(&statement["Action"], &resolve)? {
                        for resource in strings(&statement["Resource"], &resolve)? {
                            into.push(Grant {
                                function: binary.clone(),
                                action: action.clone(),
                                resource,
                                by_lambda: name == LAMBDA_SERVICE_POLICY,
                            });
                        }
                    }
                }
            }
            by_function.insert(binary.clone(), grants);
            denied.insert(binary, denials);
        }
        Ok(Self { by_function, denied })
    }

    /// The grants that allow `action` on `resource` to `function`: none if a denial matches.
    fn allowing<'a>(
        &'a self,
        function: &str,
        action: &'a str,
        resource: &'a str,
    ) -> impl Iterator<Item = &'a Grant> + 'a {
        let matching = move |grant: &&Grant| glob(&grant.action, action) && glob(&grant.resource, resource);
        let denied = self.denied.get(function).into_iter().flatten().any(|d| matching(&d));
        self.by_function.get(function).into_iter().flatten().filter(move |grant| !denied && matching(grant))
    }

    /// Whether `function`'s role allows `action` on `resource`.
    pub fn allows(&self, function: &str, action: &str, resource: &str) -> bool {
        self.allowing(function, action, resource).next().is_some()
    }

    /// Every grant of `function`'s role (not its denials).
    pub fn of(&self, function: &str) -> &[Grant] {
        self.by_function.get(function).map_or(&[], Vec::as_slice)
    }

    /// The calls no grant allows.
    pub fn violations(&self, calls: &[Call]) -> BTreeSet<Violation> {
        calls
            .iter()
            .flat_map(|call| call.authorised.iter().map(move |a| (call, a)))
            .filter(|(call, a)| !self.allows(&call.function, &a.action, &a.resource))
            .map(|(call, a)| Violation {
                function: call.function.clone(),
                action: a.action.clone(),
                resource: a.resource.clone(),
            })
            .collect()
    }

    /// The grants no call used (Lambda's own, [`Grant::by_lambda`], are not the functions' to use).
    pub fn unused(&self, calls: &[Call]) -> Vec<&Grant> {
        let used: BTreeSet<&Grant> = calls
            .iter()
            .flat_map(|call| {
                call.authorised.iter().flat_map(move |a| self.allowing(&call.function, &a.action, &a.resource))
            })
            .collect();
        self.by_function.values().flatten().filter(|grant| !grant.by_lambda && !used.contains(grant)).collect()
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t, mut star, mut resume) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            resume = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            resume += 1;
            t = resume;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Where each test process leaves the calls it saw, for the report of unused grants.
pub fn calls_dir() -> std::path::PathBuf {
    crate::moto::workspace_root().join("target/avisa-calls")
}

/// Keeps `calls` for the report (one file per stack; best effort: the check itself does not need it).
pub fn keep(calls: &[Call]) {
    if calls.is_empty() {
        return;
    }
    let dir = calls_dir();
    let _ = std::fs::create_dir_all(&dir);
    let name = format!("{}-{:016x}.jsonl", std::process::id(), fastrand::u64(..));
    let lines: String = calls.iter().filter_map(|c| serde_json::to_string(c).ok()).map(|l| l + "\n").collect();
    let _ = std::fs::write(dir.join(name), lines);
}

/// Every call kept under `dir`.
pub fn kept(dir: &std::path::Path) -> Result<Vec<Call>, LocalError> {
    let mut calls = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|source| LocalError::Io { what: format!("reading {}", dir.display()), source })?;
    for entry in entries.flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        calls.extend(text.lines().filter_map(|line| serde_json::from_str::<Call>(line).ok()));
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::Authorised;

    fn call(function: &str, action: &str, resource: &str) -> Call {
        Call {
            function: function.into(),
            service: String::new(),
            authorised: vec![Authorised { action: action.into(), resource: resource.into() }],
            recipient: None,
            fault: None,
            millis: 0,
            write_units: 0,
            read_units: 0.0,
            invocation: None,
        }
    }

    #[test]
    fn wildcards_match_as_iam_matches_them() {
        assert!(glob("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/t/2026-11-20.jsonl"));
        assert!(glob("*", "anything"));
        assert!(glob(
            "arn:aws:dynamodb:*:table/avisa-Table/index/*",
            "arn:aws:dynamodb:eu-west-1:1:table/avisa-Table/index/gsi1"
        ));
        assert!(!glob(
            "arn:aws:dynamodb:eu-west-1:1:table/avisa-Table",
            "arn:aws:dynamodb:eu-west-1:1:table/avisa-Table/index/gsi1"
        ));
        assert!(!glob("sqs:SendMessage", "sqs:SendMessageBatch"));
    }

    fn parsed(yaml: &str) -> Template {
        Template::parse(std::path::Path::new("test.yaml"), yaml).unwrap()
    }

    const WITH_A_ROLE: &str = r#"
Resources:
  Table: { Type: AWS::DynamoDB::Table }
  JobsQueue: { Type: AWS::SQS::Queue }
  WorkerFunction:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: worker } }
    Properties:
      Role: !GetAtt WorkerRole.Arn
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: lambda-service
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [sqs:ReceiveMessage]
                Resource: !GetAtt JobsQueue.Arn
        - PolicyName: worker
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [dynamodb:GetItem]
                Resource: !GetAtt Table.Arn
              - Effect: Allow
                Action: [sns:Publish]
                Resource: "*"
              - Effect: Deny
                Action: [sns:Publish]
                Resource: !Sub "arn:${AWS::Partition}:sns:*"
"#;

    #[test]
    fn a_function_with_a_role_has_the_roles_grants_and_its_denials_win() {
        // GIVEN a function whose Role is a role of the template
        let grants = Grants::from_template(&parsed(WITH_A_ROLE)).unwrap();
        let table = "arn:aws:dynamodb:eu-west-1:123456789012:table/avisa-Table";
        // THEN it has the role's grants
        assert!(grants.allows("worker", "dynamodb:GetItem", table));
        assert!(grants.allows("worker", "sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:123456789012:avisa-JobsQueue"));
        assert!(!grants.allows("worker", "dynamodb:PutItem", table));
        // and a Deny takes its resources out of an Allow on "*": SMS yes, a topic no
        assert!(grants.allows("worker", "sns:Publish", "*"));
        let topic = "arn:aws:sns:eu-west-1:123456789012:avisa-Topic";
        let violations: Vec<String> =
            grants.violations(&[call("worker", "sns:Publish", topic)]).iter().map(ToString::to_string).collect();
        assert_eq!(violations, [format!("worker called sns:Publish on {topic}")]);
        // and what Lambda does with the role is never listed as unused
        let unused: Vec<&str> = grants.unused(&[]).iter().map(|g| g.action.as_str()).collect();
        assert_eq!(unused, ["dynamodb:GetItem", "sns:Publish"]);
    }

    #[test]
    fn a_function_with_both_role_and_policies_is_an_error_as_sam_would_ignore_the_policies() {
        let yaml = WITH_A_ROLE.replace(
            "      Role: !GetAtt WorkerRole.Arn\n",
            "      Role: !GetAtt WorkerRole.Arn\n      Policies:\n        - Statement: []\n",
        );
        let err = Grants::from_template(&parsed(&yaml)).unwrap_err();
        assert!(err.to_string().contains("SAM ignores Policies"), "{err}");
    }

    #[test]
    fn each_queue_consumer_may_poll_its_own_queue_and_no_other() {
        // GIVEN the template's functions and queues
        let template = Template::load(&Template::default_path()).unwrap();
        let grants = Grants::from_template(&template).unwrap();
        let placeholders = crate::cognito::placeholder_ids(&template);
        let resolver = template.resolver("").with_assigned(&placeholders);
        let queues: Vec<String> =
            template.of_kind("AWS::SQS::Queue").map(|q| resolver.attribute(&q.logical_id, "Arn").unwrap()).collect();
        let specs = crate::functions::specs(&template, resolver).unwrap();
        assert!(specs.iter().filter(|f| !f.sqs_sources.is_empty()).count() >= 5);
        for function in &specs {
            let own: Vec<&String> = function.sqs_sources.iter().map(|(arn, _)| arn).collect();
            for queue in &queues {
                for action in
                    ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
                {
                    // THEN Lambda may poll the function's event source for it, and no other queue
                    let allowed = grants.allows(&function.binary, action, queue);
                    assert_eq!(allowed, own.contains(&queue), "{} {action} on {queue}", function.binary);
                }
            }
        }
    }

    #[test]
    fn each_function_writes_its_own_log_group_only_and_nothing_data_is_granted_on_every_resource() {
        let template = Template::load(&Template::default_path()).unwrap();
        let grants = Grants::from_template(&template).unwrap();
        let resolver = template.resolver("");
        let stream = |group: &str| format!("arn:aws:logs:eu-west-1:123456789012:log-group:{group}:log-stream:s");
        let groups: Vec<String> =
            template.of_kind("AWS::Logs::LogGroup").map(|g| resolver.reference(&g.logical_id).unwrap()).collect();
        for function in template.of_kind("AWS::Serverless::Function") {
            let binary = function.metadata["BuildProperties"]["Binary"].as_str().unwrap();
            let own = resolver.string(&function.properties["LoggingConfig"]["LogGroup"]).unwrap();
            for group in &groups {
                let allowed = grants.allows(binary, "logs:PutLogEvents", &stream(group));
                assert_eq!(allowed, *group == own, "{binary} writing {group}");
            }
            // "*" only where the action has no resource ARN: SMS to a phone number
            for grant in grants.of(binary).iter().filter(|g| g.resource == "*") {
                assert!(
                    ["sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut"].contains(&grant.action.as_str()),
                    "{binary} may {} on {}",
                    grant.action,
                    grant.resource
                );
            }
        }
        let topic = resolver.reference("SesEventsTopic").unwrap();
        assert!(grants.allows("notice-dispatcher", "sns:Publish", "*"));
        assert!(!grants.allows("notice-dispatcher", "sns:Publish", &topic));
    }

    #[test]
    fn a_call_outside_the_functions_role_is_a_violation_and_unused_grants_are_listed() {
        // GIVEN the template's roles
        let template = Template::load(&Template::default_path()).unwrap();
        let grants = Grants::from_template(&template).unwrap();
        let table = "arn:aws:dynamodb:eu-west-1:123456789012:table/avisa-Table";
        // WHEN print-batch queries the table and deletes an item
        let calls = [call("print-batch", "dynamodb:Query", table), call("print-batch", "dynamodb:DeleteItem", table)];
        // THEN the delete is refused, the query is not
        let violations: Vec<String> = grants.violations(&calls).iter().map(ToString::to_string).collect();
        assert_eq!(violations, [format!("print-batch called dynamodb:DeleteItem on {table}")]);
        // and print-batch's S3 grant shows as unused
        let unused: Vec<String> =
            grants.unused(&calls).iter().filter(|g| g.function == "print-batch").map(|g| g.action.clone()).collect();
        assert_eq!(unused, ["s3:PutObject"]);
    }
}

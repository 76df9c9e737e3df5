//! Least privilege, checked: each function's role in `infra/template.yaml` against the calls the
//! function really made (recorded by [`crate::proxy`]). A call its role does not allow fails the
//! test that made it — on AWS it would be `AccessDenied` — and grants no test ever used are listed.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use crate::LocalError;
use crate::proxy::Call;
use crate::template::Template;

/// One allowed action on one resource pattern, of one function's role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Grant {
    pub function: String,
    pub action: String,
    pub resource: String,
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

/// Every function's grants, by binary name.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    by_function: BTreeMap<String, Vec<Grant>>,
}

fn strings(value: &Value, resolve: &dyn Fn(&Value) -> Result<String, LocalError>) -> Result<Vec<String>, LocalError> {
    match value {
        Value::Sequence(items) => items.iter().map(resolve).collect(),
        Value::Null => Ok(Vec::new()),
        single => Ok(vec![resolve(single)?]),
    }
}

impl Grants {
    /// The `Allow` statements of every function's `Policies`, intrinsics resolved.
    pub fn from_template(template: &Template) -> Result<Self, LocalError> {
        let resolver = template.resolver("");
        let resolve = |value: &Value| resolver.string(value);
        let mut by_function = BTreeMap::new();
        for function in template.of_kind("AWS::Serverless::Function") {
            let binary =
                function.metadata["BuildProperties"]["Binary"].as_str().unwrap_or(&function.logical_id).to_owned();
            let mut grants = Vec::new();
            for policy in function.properties["Policies"].as_sequence().into_iter().flatten() {
                for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                    if statement["Effect"].as_str() != Some("Allow") {
                        continue;
                    }
                    for action in strings(&statement["Action"], &resolve)? {
                        for resource in strings(&statement["Resource"], &resolve)? {
                            grants.push(Grant { function: binary.clone(), action: action.clone(), resource });
                        }
                    }
                }
            }
            by_function.insert(binary, grants);
        }
        Ok(Self { by_function })
    }

    fn allowing<'a>(
        &'a self,
        function: &str,
        action: &'a str,
        resource: &'a str,
    ) -> impl Iterator<Item = &'a Grant> + 'a {
        self.by_function
            .get(function)
            .into_iter()
            .flatten()
            .filter(move |grant| glob(&grant.action, action) && glob(&grant.resource, resource))
    }

    /// The calls no grant allows.
    pub fn violations(&self, calls: &[Call]) -> BTreeSet<Violation> {
        calls
            .iter()
            .flat_map(|call| call.authorised.iter().map(move |a| (call, a)))
            .filter(|(call, a)| self.allowing(&call.function, &a.action, &a.resource).next().is_none())
            .map(|(call, a)| Violation {
                function: call.function.clone(),
                action: a.action.clone(),
                resource: a.resource.clone(),
            })
            .collect()
    }

    /// The grants no call used.
    pub fn unused(&self, calls: &[Call]) -> Vec<&Grant> {
        let used: BTreeSet<&Grant> = calls
            .iter()
            .flat_map(|call| {
                call.authorised.iter().flat_map(move |a| self.allowing(&call.function, &a.action, &a.resource))
            })
            .collect();
        self.by_function.values().flatten().filter(|grant| !used.contains(grant)).collect()
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

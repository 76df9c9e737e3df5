//! `avisa demo`: the whole pipeline on a throw-away local stack, with a short report.
//! `avisa local-up [--port N]`: the local stack on a known port, provisioned and waiting, for
//! `cargo lambda watch` / `cargo lambda invoke` (see README). Ctrl-C stops it.
//! `avisa rejected --tenant T [--table NAME] [--limit N]`: the rejected billing events and jobs of
//! a tenant with their reasons, from any deployment the AWS environment points at.
//! `avisa tenant-settings --tenant T [--put FILE]`: show (or set, from a JSON file like
//! `events/demo/tenant.json`) a tenant's settings.
//! `avisa operator-token --tenant T --name NAME [--days N] [--admin]`: issues an operator API token for a
//! tenant, good for N days (90) (printed once; only its SHA-256 digest is stored); `--admin` lets
//! it also erase a person through the staff API.
//! `avisa operators list|revoke --tenant T [--id ID]`: a tenant's tokens (by id, never the token),
//! and revoking one.
//! `avisa erase --tenant T --customer C | --phone E164`: removes every item about a person and
//! prints what it did.
//! `avisa upstreams bind|unbind --queue ARN --tenant T`: which tenants the upstream billing system
//! sending on a queue may act for.
//! `avisa outage --tenant T --as NAME plan FILE | show ID | confirm ID | reschedule ID START END |
//! cancel ID | end ID [--notify-restored]`: the outage desk, with the outage-scheduler's code
//! and environment (`TABLE_NAME`, `SCHEDULE_GROUP`, `SCHEDULER_ROLE_ARN`, `COMPOSE_QUEUE_ARN`).
//! `avisa redrive --tenant T [--from TIME] [--to TIME] [--stack NAME] [--table NAME]`: sends again
//! what failed for a tenant in the range (14 days to now by default) once its cause is fixed —
//! rejected messages a fix can save, and dead letters — and says how many went.
//! `avisa grants [--calls DIR]`: after the end-to-end tests, the template's grants that no
//! function used (and any call a role did not allow), from the calls the tests recorded.

use std::process::ExitCode;

use avisa_aws::DynamoStore;
use avisa_domain::ids::TenantId;
use avisa_local::{LocalStack, demo, ops};

const DEFAULT_PORT: u16 = 5055;
const USAGE: &str = "usage: avisa demo | avisa local-up [--port N] | avisa rejected --tenant T|unknown [--table NAME] [--limit N]
       avisa tenant-settings --tenant T [--put FILE] | avisa operator-token --tenant T --name NAME [--days N] [--admin]
       avisa operators list --tenant T | avisa operators revoke --tenant T --id ID
       avisa upstreams bind|unbind --queue QUEUE_ARN --tenant T | avisa erase --tenant T --customer C|--phone E164 [--table NAME]
       avisa outage --tenant T --as NAME plan FILE | show ID | confirm ID | reschedule ID START END | cancel ID | end ID [--notify-restored]
       avisa redrive --tenant T [--from TIME] [--to TIME] [--stack NAME] [--table NAME] | avisa grants [--calls DIR]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        [] | ["demo"] => run_demo().await,
        ["local-up", options @ ..] => match option(options, "--port").map(str::parse).transpose() {
            Ok(port) => local_up(port.unwrap_or(DEFAULT_PORT)).await,
            Err(_) => Err("--port takes a port number".to_owned()),
        },
        ["rejected", options @ ..] => rejected(options).await,
        ["tenant-settings", options @ ..] => tenant_settings(options).await,
        ["operator-token", options @ ..] => operator_token(options).await,
        ["outage", options @ ..] => outage(options).await,
        ["grants", options @ ..] => grants(options),
        ["redrive", options @ ..] => redrive(options).await,
        ["operators", "list", options @ ..] => operators_list(options).await,
        ["operators", "revoke", options @ ..] => operators_revoke(options).await,
        ["upstreams", verb @ ("bind" | "unbind"), options @ ..] => upstreams(verb, options).await,
        ["erase", options @ ..] => erase(options).await,
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn option<'a>(options: &[&'a str], name: &str) -> Option<&'a str> {
    options.iter().position(|o| *o == name).and_then(|i| options.get(i + 1)).copied()
}

fn chain(error: &dyn std::error::Error) -> String {
    std::iter::successors(Some(error), |e| e.source()).map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

async fn run_demo() -> Result<(), String> {
    let stack = LocalStack::start().await.map_err(|e| chain(&e))?;
    let report = demo::run(&stack).await.map_err(|e| chain(&e))?;
    print!("{report}");
    Ok(()) // dropping the stack stops moto
}

async fn local_up(port: u16) -> Result<(), String> {
    let stack = LocalStack::start_on(port).await.map_err(|e| chain(&e))?;
    println!("local AWS on {} (moto), provisioned from {}", stack.endpoint(), stack.template.path.display());
    println!("functions' environment, as the template gives it (also in Cargo.toml [..metadata.lambda.env]):");
    for spec in &stack.functions {
        let mut env: Vec<_> = spec.env.iter().collect();
        env.sort();
        println!("  {}: {}", spec.binary, env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "));
    }
    println!("Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    Ok(())
}

async fn redrive(options: &[&str]) -> Result<(), String> {
    use avisa_local::redrive::{self, Queues, Selection};
    let tenant = option(options, "--tenant").ok_or(format!("--tenant is required\n{USAGE}"))?;
    let tenant = TenantId::parse(tenant).map_err(|e| e.to_string())?;
    let time = |name: &str, default: jiff::Timestamp| {
        option(options, name).map_or(Ok(default), |t| {
            t.parse::<jiff::Timestamp>()
                .map_err(|e| format!("{name} takes an RFC 3339 time like 2026-12-01T09:00:00Z: {e}"))
        })
    };
    let now = jiff::Timestamp::now();
    let from = time("--from", now - jiff::SignedDuration::from_hours(14 * 24))?;
    let selection = Selection { tenant, from, to: time("--to", now)? };
    let sdk = avisa_runtime::aws_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table(options)?);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queues = Queues::discover(&sqs, option(options, "--stack").unwrap_or("avisa")).await.map_err(|e| chain(&e))?;
    let redriven = redrive::redrive(&store, &sqs, &queues, &selection).await.map_err(|e| chain(&e))?;
    print!("{redriven}");
    Ok(())
}

fn grants(options: &[&str]) -> Result<(), String> {
    use avisa_local::grants::{self, Grants};
    let dir = option(options, "--calls").map_or_else(grants::calls_dir, std::path::PathBuf::from);
    let template = avisa_local::template::Template::load(&avisa_local::template::Template::default_path())
        .map_err(|e| chain(&e))?;
    let grants = Grants::from_template(&template).map_err(|e| chain(&e))?;
    let calls = grants::kept(&dir).map_err(|e| format!("{}; run the end-to-end tests first (make test)", chain(&e)))?;
    let functions: std::collections::BTreeSet<&str> = calls.iter().map(|c| c.function.as_str()).collect();
    println!(
        "least privilege: {} calls by {} functions checked against infra/template.yaml",
        calls.len(),
        functions.len()
    );
    let unused = grants.unused(&calls);
    if unused.is_empty() {
        println!("  every grant was used");
    }
    for grant in &unused {
        println!("  unused grant: {} {} on {}", grant.function, grant.action, grant.resource);
    }
    let violations = grants.violations(&calls);
    if violations.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
    Err(format!("calls no role allows (AccessDenied on AWS):\n  {}", listed.join("\n  ")))
}

fn table(options: &[&str]) -> Result<String, String> {
    option(options, "--table").map(str::to_owned).or_else(|| std::env::var("TABLE_NAME").ok()).ok_or_else(|| {
        "name the table with --table or TABLE_NAME (the stack output TableName; avisa-Table for `make local-up`)"
            .to_owned()
    })
}

async fn tenant_settings(options: &[&str]) -> Result<(), String> {
    use avisa_domain::ports::TenantDirectory;
    let tenant = option(options, "--tenant").ok_or(format!("--tenant is required\n{USAGE}"))?;
    let tenant = TenantId::parse(tenant).map_err(|e| e.to_string())?;
    let sdk = avisa_runtime::aws_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table(options)?);
    if let Some(file) = option(options, "--put") {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        let settings: avisa_domain::tenant::TenantSettings =
            serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
        store.put_settings(&tenant, &settings).await.map_err(|e| chain(&e))?;
    }
    match store.settings(&tenant).await.map_err(|e| chain(&e))? {
        Some(settings) => println!("{}", serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())?),
        None => println!("{tenant} has no settings of its own: the deployment's defaults apply"),
    }
    Ok(())
}

async fn rejected(options: &[&str]) -> Result<(), String> {
    let tenant = match option(options, "--tenant") {
        None => return Err(format!("--tenant is required\n{USAGE}")),
        Some("unknown") => None,
        Some(tenant) => Some(TenantId::parse(tenant).map_err(|e| e.to_string())?),
    };
    let table = table(options)?;
    let limit = option(options, "--limit").map_or(Ok(50), str::parse).map_err(|_| "--limit takes a number")?;
    let sdk = avisa_runtime::aws_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let report = ops::rejected_report(&store, tenant.as_ref(), limit).await.map_err(|e| chain(&e))?;
    print!("{report}");
    Ok(())
}

/// A new random token: 32 bytes from the kernel's generator, hex.
fn new_token() -> Result<String, String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).map_err(|e| e.to_string())?;
    Ok(bytes.iter().fold("avisa_op_".to_owned(), |mut token, b| {
        use std::fmt::Write;
        let _ = write!(token, "{b:02x}");
        token
    }))
}

async fn operator_token(options: &[&str]) -> Result<(), String> {
    use avisa_domain::operators::{Operator, OperatorDirectory, token_digest};
    let tenant = option(options, "--tenant").ok_or(format!("--tenant is required\n{USAGE}"))?;
    let name = option(options, "--name")
        .ok_or(format!("--name is required (who the token's changes are attributed to)\n{USAGE}"))?;
    let days = option(options, "--days")
        .map(str::parse::<i64>)
        .transpose()
        .ok()
        .flatten()
        .filter(|days| (1..=366).contains(days));
    if option(options, "--days").is_some() && days.is_none() {
        return Err("--days takes a number of days from 1 to 366".to_owned());
    }
    let mut operator = Operator::issued(
        TenantId::parse(tenant).map_err(|e| e.to_string())?,
        avisa_domain::text::Text::parse(name).map_err(|e| format!("--name: {e}"))?,
        jiff::Timestamp::now(),
        days.unwrap_or(avisa_domain::operators::DEFAULT_TOKEN_DAYS),
    );
    operator.admin = options.contains(&"--admin");
    let sdk = avisa_runtime::aws_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table(options)?);
    let token = new_token()?;
    store.register(&token_digest(&token), &operator).await.map_err(|e| chain(&e))?;
    println!("{token}");
    eprintln!(
        "operator {name} of {tenant}, until {}: send `Authorization: Bearer <the token above>`; it is not shown again",
        operator.valid_until
    );
    Ok(())
}

fn tenant_option(options: &[&str]) -> Result<TenantId, String> {
    let tenant = option(options, "--tenant").ok_or(format!("--tenant is required\n{USAGE}"))?;
    TenantId::parse(tenant).map_err(|e| format!("--tenant: {e}"))
}

async fn store(options: &[&str]) -> Result<DynamoStore, String> {
    let sdk = avisa_runtime::aws_config().await;
    Ok(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table(options)?))
}

async fn operators_list(options: &[&str]) -> Result<(), String> {
    let tenant = tenant_option(options)?;
    let now = jiff::Timestamp::now();
    for token in store(options).await?.operators(&tenant).await.map_err(|e| chain(&e))? {
        let state = if token.operator.is_valid_at(now) { "valid" } else { "expired" };
        println!(
            "{}  {:<24} issued {}  until {} ({state}{})",
            token.id,
            token.operator.name,
            token.operator.issued_at,
            token.operator.valid_until,
            if token.operator.admin { ", admin" } else { "" }
        );
    }
    Ok(())
}

async fn operators_revoke(options: &[&str]) -> Result<(), String> {
    let tenant = tenant_option(options)?;
    let id = option(options, "--id").ok_or(format!("--id is required (from `avisa operators list`)\n{USAGE}"))?;
    if store(options).await?.revoke_operator(&tenant, id).await.map_err(|e| chain(&e))? {
        println!("token {id} of {tenant} revoked: it opens nothing from now on");
        Ok(())
    } else {
        Err(format!("{tenant} has no token {id}: `avisa operators list --tenant {tenant}` lists them"))
    }
}

async fn erase(options: &[&str]) -> Result<(), String> {
    use avisa_domain::privacy::Erasure;
    let tenant = tenant_option(options)?;
    let store = store(options).await?;
    let (who, erased) = match (option(options, "--customer"), option(options, "--phone")) {
        (Some(customer), None) => {
            let customer = avisa_domain::ids::CustomerId::parse(customer).map_err(|e| format!("--customer: {e}"))?;
            (format!("customer {customer}"), store.erase_customer(&tenant, &customer).await)
        }
        (None, Some(phone)) => {
            let phone = avisa_domain::contact::PhoneE164::parse(phone).map_err(|e| format!("--phone: {e}"))?;
            ("that number".to_owned(), store.erase_phone(&tenant, &phone).await)
        }
        _ => return Err(format!("one of --customer or --phone (a citizen who is no customer) is required\n{USAGE}")),
    };
    let erased = erased.map_err(|e| chain(&e))?;
    if erased.total() == 0 {
        println!("nothing about {who} of {tenant} was found: nothing erased");
    }
    for (kind, count) in &erased.items {
        println!("erased {count:>5} {kind}");
    }
    println!(
        "kept: the suppression of any address they opted out with (a digest, so nothing is sent to it again); \
         their WhatsApp message claims leave by TTL within 35 days"
    );
    Ok(())
}

async fn upstreams(verb: &str, options: &[&str]) -> Result<(), String> {
    let tenant = tenant_option(options)?;
    let queue = option(options, "--queue")
        .filter(|arn| arn.starts_with("arn:"))
        .ok_or(format!("--queue is required: the ARN of the queue the upstream sends on\n{USAGE}"))?;
    let store = store(options).await?;
    if verb == "bind" {
        store.bind_upstream(queue, &tenant).await.map_err(|e| chain(&e))?;
        println!("the upstream sending on {queue} may now act for {tenant}");
    } else {
        store.unbind_upstream(queue, &tenant).await.map_err(|e| chain(&e))?;
        println!("the upstream sending on {queue} no longer acts for {tenant}");
    }
    Ok(())
}

async fn outage(options: &[&str]) -> Result<(), String> {
    use avisa_domain::ids::OutageId;
    use avisa_domain::outage::{OutagePlan, Reschedule};
    let tenant = option(options, "--tenant").ok_or(format!("--tenant is required\n{USAGE}"))?;
    let tenant = TenantId::parse(tenant).map_err(|e| e.to_string())?;
    let by =
        format!("cli:{}", option(options, "--as").ok_or(format!("--as NAME is required (who is acting)\n{USAGE}"))?);
    let command: Vec<&str> = options
        .iter()
        .enumerate()
        .filter(|(i, o)| {
            !o.starts_with("--") && (*i == 0 || !matches!(options[i - 1], "--tenant" | "--as" | "--table"))
        })
        .map(|(_, o)| *o)
        .collect();
    let config = outage_scheduler::Config::load(&avisa_runtime::config::Env).map_err(|e| e.to_string())?;
    let app = outage_scheduler::App::new(&config, &avisa_runtime::aws_config().await).map_err(|e| chain(&e))?;
    let desk = app.desk();
    let id = |raw: &str| OutageId::parse(raw).map_err(|e| e.to_string());
    let time = |raw: &str| raw.parse::<jiff::Timestamp>().map_err(|e| format!("{raw}: {e} (RFC 3339 with offset)"));
    let shown = match command.as_slice() {
        ["plan", file] => {
            let body = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
            let plan = OutagePlan::parse(&body).map_err(|e| e.to_string())?;
            if plan.tenant_id != tenant {
                return Err(format!("{file} is for tenant {}, not {tenant}", plan.tenant_id));
            }
            let (outage, dry_run) = desk.plan(&by, plan).await.map_err(|e| e.to_string())?;
            serde_json::json!({ "outage": outage, "dry_run": dry_run })
        }
        ["show", outage_id] => {
            let (outage, dry_run) = desk.dry_run(&tenant, &id(outage_id)?).await.map_err(|e| e.to_string())?;
            serde_json::json!({ "outage": outage, "dry_run": dry_run })
        }
        ["confirm", outage_id] => {
            serde_json::to_value(desk.confirm(&by, &tenant, &id(outage_id)?).await.map_err(|e| e.to_string())?.outage)
                .map_err(|e| e.to_string())?
        }
        ["reschedule", outage_id, start, end] => {
            let to = Reschedule { start: time(start)?, expected_end: time(end)? };
            serde_json::to_value(
                desk.reschedule(&by, &tenant, &id(outage_id)?, to).await.map_err(|e| e.to_string())?.outage,
            )
            .map_err(|e| e.to_string())?
        }
        ["cancel", outage_id] => {
            serde_json::to_value(desk.cancel(&by, &tenant, &id(outage_id)?).await.map_err(|e| e.to_string())?.outage)
                .map_err(|e| e.to_string())?
        }
        ["end", outage_id] => {
            let notify = options.contains(&"--notify-restored");
            serde_json::to_value(
                desk.end(&by, &tenant, &id(outage_id)?, notify).await.map_err(|e| e.to_string())?.outage,
            )
            .map_err(|e| e.to_string())?
        }
        _ => return Err(USAGE.to_owned()),
    };
    println!("{}", serde_json::to_string_pretty(&shown).map_err(|e| e.to_string())?);
    Ok(())
}

//! `make bench-init`: each function's cold start — from `exec` to its first poll of the Runtime
//! API, which is where Lambda's init phase ends — next to a bare `lambda_runtime` binary's, run
//! alternately so that a loaded machine weighs on both alike.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::LocalError;
use crate::functions::{self, FunctionSpec};
use crate::runtime_api::{RuntimeApi, lambda_environment};
use crate::template::Template;

/// The bare binary the functions are measured against (`tests/bare-lambda`).
pub const BARE: &str = "bare-lambda";
/// Where the functions' AWS calls would go: nothing listens, so a function that calls AWS before
/// its first event shows up as never polling.
const NO_AWS: &str = "http://127.0.0.1:9";
const GIVE_UP_AFTER: Duration = Duration::from_secs(10);

/// Init times of one binary, in milliseconds, sorted.
#[derive(Debug, Clone, Default)]
pub struct InitTimes(pub Vec<f64>);

impl InitTimes {
    pub fn median(&self) -> f64 {
        let n = self.0.len();
        match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => self.0[n / 2],
            _ => f64::midpoint(self.0[n / 2 - 1], self.0[n / 2]),
        }
    }
}

/// Every function of the template, with the environment it is deployed with (Cognito's ids made up).
pub fn function_specs() -> Result<Vec<FunctionSpec>, LocalError> {
    let template = Template::load(&Template::default_path())?;
    let assigned: BTreeMap<String, String> = template
        .of_kind("AWS::Cognito::UserPool")
        .chain(template.of_kind("AWS::Cognito::UserPoolClient"))
        .map(|r| (r.logical_id.clone(), format!("{REGION}_bench", REGION = crate::template::REGION)))
        .collect();
    functions::specs(&template, template.resolver(NO_AWS).with_assigned(&assigned))
}

/// Starts `binary` against a Runtime API of its own and times it to its first poll.
pub fn time_init<S: std::hash::BuildHasher>(
    binary: &Path,
    name: &str,
    env: &std::collections::HashMap<String, String, S>,
) -> Result<f64, LocalError> {
    let api = RuntimeApi::start(name)?;
    let started = Instant::now();
    let mut child = std::process::Command::new(binary)
        .envs(env)
        .envs(lambda_environment(name, api.address(), NO_AWS))
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|source| LocalError::Io { what: format!("starting {}", binary.display()), source })?;
    let polled = loop {
        if let Some(polled) = api.first_poll() {
            break Ok(polled);
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!("{name} exited ({status}) before asking for an event"));
        }
        if started.elapsed() > GIVE_UP_AFTER {
            break Err(format!("{name} did not ask for an event within {GIVE_UP_AFTER:?}: does its init call AWS?"));
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    let _ = child.kill();
    let _ = child.wait();
    polled.map(|at| at.duration_since(started).as_secs_f64() * 1000.0).map_err(LocalError::Template)
}

/// `runs` cold starts of each function and of the bare binary, alternating, from `dir`.
pub fn measure(dir: &Path, runs: usize) -> Result<Vec<(String, InitTimes)>, LocalError> {
    let specs = function_specs()?;
    let mut names: Vec<(String, PathBuf, std::collections::HashMap<String, String>)> =
        vec![(BARE.to_owned(), dir.join(BARE), std::collections::HashMap::new())];
    for spec in specs {
        names.push((spec.binary.clone(), dir.join(&spec.binary), spec.env));
    }
    for (name, path, _) in &names {
        if !path.is_file() {
            return Err(LocalError::BinaryMissing { binary: name.clone(), looked_for: path.display().to_string() });
        }
    }
    let mut times: Vec<InitTimes> = vec![InitTimes::default(); names.len()];
    for _ in 0..runs {
        for ((name, path, env), times) in names.iter().zip(&mut times) {
            times.0.push(time_init(path, name, env)?);
        }
    }
    Ok(names
        .into_iter()
        .zip(times)
        .map(|((name, ..), mut t)| {
            t.0.sort_by(f64::total_cmp);
            (name, t)
        })
        .collect())
}

/// The report `make bench-init` prints.
pub fn report(measured: &[(String, InitTimes)]) -> String {
    let bare = measured.iter().find(|(n, _)| n == BARE).map_or(f64::NAN, |(_, t)| t.median());
    let mut out = format!("{:<20} {:>10} {:>10} {:>10} {:>8}\n", "binary", "median ms", "min ms", "max ms", "× bare");
    for (name, times) in measured {
        let (min, max) = (times.0.first().copied().unwrap_or(f64::NAN), times.0.last().copied().unwrap_or(f64::NAN));
        let (median, ratio) = (times.median(), times.median() / bare);
        let _ = writeln!(out, "{name:<20} {median:>10.2} {min:>10.2} {max:>10.2} {ratio:>8.2}");
    }
    let runs = measured.first().map_or(0, |(_, t)| t.0.len());
    let _ = writeln!(out, "({runs} runs each, alternating; goal: every function ≤ 1.5× bare)");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert!((InitTimes(vec![1.0, 2.0, 4.0, 9.0]).median() - 3.0).abs() < 1e-9);
        assert!((InitTimes(vec![1.0, 2.0, 4.0]).median() - 2.0).abs() < 1e-9);
    }
}

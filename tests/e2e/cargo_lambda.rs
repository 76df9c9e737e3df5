//! `cargo lambda watch` gives each function the variables in Cargo.toml's lambda metadata; they
//! must be what the template gives it against `make local-up` (127.0.0.1:5055).

use std::collections::BTreeMap;

use avisa_local::functions::specs;
use avisa_local::moto::workspace_root;
use avisa_local::template::Template;

/// A manifest of the workspace (`Cargo.toml`, `functions/<name>/Cargo.toml`).
fn manifest(path: &str) -> toml::Table {
    std::fs::read_to_string(workspace_root().join(path)).unwrap().parse().unwrap()
}

/// The template's functions, resolved against `make local-up`'s endpoint.
fn template_functions() -> Vec<avisa_local::functions::FunctionSpec> {
    let template = Template::load(&Template::default_path()).unwrap();
    // The staff pool's ids exist only once created: `make local-up` serves the console itself.
    let assigned = avisa_local::cognito::placeholder_ids(&template);
    specs(&template, template.resolver("http://127.0.0.1:5055").with_assigned(&assigned)).unwrap()
}

fn lambda_env(manifest_path: &str, section: &str) -> BTreeMap<String, String> {
    let env = manifest(manifest_path)
        .get(section)
        .and_then(|s| s.get("metadata"))
        .and_then(|m| m.get("lambda"))
        .and_then(|l| l.get("env"))
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default();
    env.into_iter().map(|(k, v)| (k, v.as_str().unwrap().to_owned())).collect()
}

#[test]
fn cargo_lambda_metadata_matches_what_the_template_gives_each_function() {
    let workspace = lambda_env("Cargo.toml", "workspace");
    assert_eq!(workspace["AWS_ENDPOINT_URL"], "http://127.0.0.1:5055");
    for spec in template_functions().into_iter().filter(|spec| spec.binary != "staff-console") {
        let mut metadata = workspace.clone();
        metadata.extend(lambda_env(&format!("functions/{}/Cargo.toml", spec.binary), "package"));
        for (name, value) in &spec.env {
            assert_eq!(metadata.get(name), Some(value), "{}: {name} in Cargo.toml's lambda metadata", spec.binary);
        }
    }
}

/// `e_type` of an ELF header: 2 a fixed-address executable, 3 a position-independent one.
fn elf_type(path: &std::path::Path) -> u16 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes.get(..4), Some(&b"\x7fELF"[..]), "{} is not an ELF file", path.display());
    u16::from_le_bytes([bytes[16], bytes[17]])
}

#[test]
fn every_function_the_template_deploys_is_linked_at_a_fixed_address() {
    // GIVEN every function of the template, as `make test` built it
    let functions = template_functions();
    assert!(functions.len() >= 11, "the template's functions: {}", functions.len());
    for spec in functions {
        // WHEN its manifest and its binary are read
        let manifest = manifest(&format!("functions/{}/Cargo.toml", spec.binary));
        let build = manifest.get("package").and_then(|p| p.get("build")).and_then(toml::Value::as_str);
        // THEN it links through functions/link.rs, and the loader has no relocations to apply
        assert_eq!(build, Some("../link.rs"), "functions/{}/Cargo.toml: add `build = \"../link.rs\"`", spec.binary);
        let binary = avisa_local::runtime_api::binary_path(&spec.binary).unwrap();
        assert_eq!(elf_type(&binary), 2, "{} is position-independent: see functions/link.rs", binary.display());
    }
}

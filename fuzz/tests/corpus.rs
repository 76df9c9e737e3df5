//! Every input of the fuzz corpus and every input that once crashed a parser, replayed through
//! its target: a regression is caught by `make test`, without a fuzzer.

use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[test]
fn every_corpus_input_and_every_past_crash_goes_through_its_target_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for (name, target) in avisa_fuzz::TARGETS {
        let files: Vec<PathBuf> =
            ["corpus", "regressions"].iter().flat_map(|kind| inputs(&root.join(kind).join(name))).collect();
        assert!(!files.is_empty(), "fuzz/corpus/{name} has no seed: add one (a sample under events/)");
        for file in files {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            target(&data);
            replayed += 1;
        }
    }
    assert!(replayed >= avisa_fuzz::TARGETS.len());
}

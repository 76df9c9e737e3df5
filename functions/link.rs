//! The build script of every function (`build = "../link.rs"` in each `Cargo.toml`): on Linux, a
//! function is linked as a fixed-address executable (`-no-pie`).
//!
//! A position-independent executable carries tens of thousands of relocations (40,000 in
//! notice-dispatcher, 0.95 MB) that the loader applies at every cold start, copying each page of
//! read-only data it writes to: a quarter of a function's page faults before its first event.
//! Linked at a fixed address the linker resolves them once. The cost is that the executable's
//! own code loads at the same address each time (its heap, stack and libraries stay randomised);
//! a function is memory-safe Rust reached only through Lambda's runtime interface.

fn main() {
    println!("cargo::rerun-if-changed=../link.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
}

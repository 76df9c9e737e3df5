//! The domain's files form no circle: ground vocabulary never reaches up to the contexts that use
//! it, a context's model never reaches up to its use cases, so each part can be read — and one day
//! moved out — alone.
//!
//! A file points at the file that defines each name its code takes from the crate: `use crate::…`,
//! `use super::…`, `use child::…`, and paths written out in code. Re-exports (`pub use`) are a
//! module's face, not a need of its code, and `#[cfg(test)]` items are not part of the shape.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module's path from the crate root: `["chat", "machine"]` for `chat/machine/mod.rs`.
type ModulePath = Vec<String>;

struct SourceFile {
    module: ModulePath,
    syntax: syn::File,
    /// Names of the items defined here (not re-exported).
    defines: BTreeSet<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(relative: &Path) -> ModulePath {
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let file = parts.pop().unwrap_or_default();
    match file.trim_end_matches(".rs") {
        "mod" | "lib" => {}
        name => parts.push(name.to_owned()),
    }
    parts
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && attr.meta.require_list().is_ok_and(|list| list.tokens.to_string() == "test")
    })
}

fn is_public(vis: &syn::Visibility) -> bool {
    !matches!(vis, syn::Visibility::Inherited)
}

fn defined_names(items: &[syn::Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(i) => Some(i.ident.to_string()),
            syn::Item::Enum(i) => Some(i.ident.to_string()),
            syn::Item::Trait(i) => Some(i.ident.to_string()),
            syn::Item::Fn(i) => Some(i.sig.ident.to_string()),
            syn::Item::Type(i) => Some(i.ident.to_string()),
            syn::Item::Const(i) => Some(i.ident.to_string()),
            syn::Item::Static(i) => Some(i.ident.to_string()),
            syn::Item::Mod(i) if i.content.is_some() => Some(i.ident.to_string()),
            syn::Item::Macro(i) => i.ident.as_ref().map(ToString::to_string),
            _ => None,
        })
        .collect()
}

/// Every path a use tree names, from its root.
fn use_paths(prefix: &[String], tree: &syn::UseTree, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(p) => {
            let mut next = prefix.to_vec();
            next.push(p.ident.to_string());
            use_paths(&next, &p.tree, out);
        }
        syn::UseTree::Name(n) if n.ident == "self" => out.push(prefix.to_vec()),
        syn::UseTree::Name(n) => out.push([prefix, &[n.ident.to_string()]].concat()),
        syn::UseTree::Rename(r) => out.push([prefix, &[r.ident.to_string()]].concat()),
        syn::UseTree::Glob(_) => out.push(prefix.to_vec()),
        syn::UseTree::Group(g) => g.items.iter().for_each(|item| use_paths(prefix, item, out)),
    }
}

/// Paths written out in code that start at the crate, the parent or this module.
#[derive(Default)]
struct CodePaths(Vec<Vec<String>>);

impl<'ast> Visit<'ast> for CodePaths {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            self.0.push(segments);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {}
}

struct Crate {
    files: BTreeMap<PathBuf, SourceFile>,
}

impl Crate {
    fn read(src: &Path) -> Self {
        let mut paths = Vec::new();
        rust_files(src, &mut paths);
        let files = paths
            .into_iter()
            .map(|path| {
                let relative = path.strip_prefix(src).expect("under src").to_path_buf();
                let text = std::fs::read_to_string(&path).expect("a source file is readable");
                let mut syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", relative.display()));
                syntax.items.retain(|item| !is_test_only(item_attrs(item)));
                let defines = defined_names(&syntax.items);
                (relative.clone(), SourceFile { module: module_of(&relative), syntax, defines })
            })
            .filter(|(relative, file)| !relative.ends_with("tests.rs") && !file.module.iter().any(|m| m == "tests"))
            .collect();
        Self { files }
    }

    fn file_of(&self, module: &[String]) -> Option<&PathBuf> {
        self.files.iter().find(|(_, f)| f.module == module).map(|(p, _)| p)
    }

    /// The file that defines what `path` (from the crate root) names.
    fn resolve(&self, path: &[String]) -> Option<&PathBuf> {
        let (k, module_file) = (0..=path.len()).rev().find_map(|k| self.file_of(&path[..k]).map(|file| (k, file)))?;
        let Some(name) = path.get(k) else { return Some(module_file) };
        if self.files[module_file].defines.contains(name) {
            return Some(module_file);
        }
        // A name a module re-exports from one of its children.
        let below = self.files.iter().find(|(_, f)| f.module.starts_with(&path[..k]) && f.defines.contains(name));
        Some(below.map_or(module_file, |(p, _)| p))
    }

    /// `path` as seen from `module`, from the crate root; `None` for other crates' paths.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => module[..module.len().checked_sub(1)?].to_vec(),
            _ => {
                let child = [module, std::slice::from_ref(first)].concat();
                self.file_of(&child)?;
                return Some([module, path].concat());
            }
        };
        let mut rest = &path[1..];
        while rest.first().is_some_and(|s| s == "super") {
            base.pop();
            rest = &rest[1..];
        }
        Some([base.as_slice(), rest].concat())
    }

    fn edges(&self) -> BTreeMap<&PathBuf, BTreeMap<&PathBuf, BTreeSet<String>>> {
        let mut edges: BTreeMap<&PathBuf, BTreeMap<&PathBuf, BTreeSet<String>>> = BTreeMap::new();
        for (path, file) in &self.files {
            let mut named = Vec::new();
            for item in &file.syntax.items {
                if let syn::Item::Use(used) = item
                    && !is_public(&used.vis)
                {
                    use_paths(&[], &used.tree, &mut named);
                }
            }
            let mut code = CodePaths::default();
            code.visit_file(&file.syntax);
            named.extend(code.0);
            for relative in named {
                let Some(absolute) = self.absolute(&file.module, &relative) else { continue };
                let Some(target) = self.resolve(&absolute) else { continue };
                if target != path && !self.files[target].module.is_empty() {
                    let name = absolute.last().cloned().unwrap_or_default();
                    edges.entry(path).or_default().entry(target).or_default().insert(name);
                }
            }
        }
        edges
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        _ => &[],
    }
}

/// Tarjan's strongly connected components with more than one file.
fn circles<'a>(edges: &BTreeMap<&'a PathBuf, BTreeMap<&'a PathBuf, BTreeSet<String>>>) -> Vec<Vec<&'a PathBuf>> {
    struct Walk<'a, 'e> {
        edges: &'e BTreeMap<&'a PathBuf, BTreeMap<&'a PathBuf, BTreeSet<String>>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        found: Vec<Vec<&'a PathBuf>>,
    }
    impl<'a> Walk<'a, '_> {
        fn visit(&mut self, v: &'a PathBuf) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for &w in self.edges.get(v).map(BTreeMap::keys).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    self.low.insert(v, self.low[v].min(self.low[w]));
                } else if self.stack.contains(&w) {
                    self.low.insert(v, self.low[v].min(self.index[w]));
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().rposition(|&s| s == v).unwrap_or(0);
                let component = self.stack.split_off(at);
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for &v in edges.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn the_domain_files_form_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let krate = Crate::read(&src);
    assert!(krate.files.len() > 20, "the domain's files were not found under {}", src.display());
    let edges = krate.edges();
    let found = circles(&edges);
    let mut report = String::new();
    for circle in &found {
        let _ = writeln!(report, "\ncircle of {} files:", circle.len());
        for &from in circle {
            for (to, names) in &edges[from] {
                if circle.contains(to) {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    let _ = writeln!(report, "  {} -> {}: {}", from.display(), to.display(), names.join(", "));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "shared/domain/src has circles; move the shared names down to the file both sides can use:{report}"
    );
}

#[test]
fn the_check_sees_a_circle() {
    // GIVEN two files that take a name from each other
    let dir = std::env::temp_dir().join(format!("avisa-no-circles-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(dir.join("a/mod.rs"), "mod inner;\npub use inner::Up;\npub struct Down;\n").unwrap();
    std::fs::write(dir.join("a/inner.rs"), "use crate::b::Middle;\npub struct Up(Middle);\n").unwrap();
    std::fs::write(
        dir.join("b.rs"),
        "pub struct Middle(crate::a::Up);\n#[cfg(test)]\nmod tests { use crate::a::Down; }\n",
    )
    .unwrap();
    // WHEN the check reads them
    let krate = Crate::read(&dir);
    let edges = krate.edges();
    let found = circles(&edges);
    std::fs::remove_dir_all(&dir).unwrap();
    // THEN the re-exported name is traced to the file that defines it, and the test module is no part of it
    assert_eq!(found.len(), 1, "{edges:?}");
    let mut circle: Vec<String> = found[0].iter().map(|p| p.display().to_string()).collect();
    circle.sort();
    assert_eq!(circle, ["a/inner.rs", "b.rs"]);
}

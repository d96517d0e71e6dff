//! The core's layers (docs/architecture.md, "Layers"): a module may use modules of its own layer
//! or below, never above. This test reads every `crate::…` path in the core's non-test code and
//! checks it against [`LAYERS`]. The imports that still point upward are listed in
//! [`KNOWN_UPWARD`] — the debt of issue 10, shrinking: the test fails on an upward import not in
//! that list (a new tangle) and on a listed one that no longer exists (so the list is kept
//! honest as the tangle is undone).

use std::collections::BTreeSet;
use std::path::Path;

/// Layers from the bottom; within the components layer the order is base → lst → restaking →
/// pricing → rewards → vault → governance (an earlier component never uses a later one).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "primitives",
        &["num", "time", "ids", "kinds", "params", "error", "openapi"],
    ),
    ("state", &["state", "commitment"]),
    ("kernel", &["bank", "events", "ctx"]),
    ("base", &["base"]),
    ("lst", &["lst"]),
    ("restaking", &["restaking"]),
    ("pricing", &["pricing"]),
    ("rewards", &["rewards"]),
    ("vault", &["vault"]),
    ("governance", &["governance"]),
    ("read", &["query", "insight", "invariants"]),
    ("app", &["block", "tx", "action", "genesis", "schema"]),
];

/// Files of a component directory that belong to the read layer (its views, insight and
/// invariant checks), whatever the component.
const READ_SIDE_FILES: &[&str] = &["view.rs", "insight.rs", "check.rs"];

/// Upward imports that remain (`module -> module it uses`), to be removed one by one. Empty since
/// issue 10: a new entry is a new tangle, to be undone rather than listed.
const KNOWN_UPWARD: &[&str] = &[];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// The file's code without its `#[cfg(test)]` items (a `mod tests` block or file) and comments.
fn non_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            // Skip the next item: up to the end of its braces (or a `;`).
            let mut depth = 0i32;
            let mut opened = false;
            for item in lines.by_ref() {
                depth += item.matches('{').count() as i32 - item.matches('}').count() as i32;
                opened |= item.contains('{');
                if (opened && depth <= 0) || (!opened && item.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `crate::<module>` the code names, including in grouped `use crate::{a, b::c}`.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    used.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    used
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (module -> used module) for every upward import of the core's sources.
fn upward_imports(src: &Path) -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut upward = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("under src");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_owned();
        let is_test_file = relative
            .file_name()
            .and_then(|f| f.to_str())
            .is_some_and(|f| f.ends_with("tests.rs"));
        if top == "lib" || is_test_file {
            continue;
        }
        let mut from = layer_of(&top).unwrap_or_else(|| panic!("{top} is in no layer of LAYERS"));
        // A component's views, insight and checks are its read side.
        let read_side = relative.components().count() > 1
            && relative
                .file_name()
                .is_some_and(|f| READ_SIDE_FILES.iter().any(|r| f == *r));
        if read_side {
            from = layer_of("query").expect("the read layer");
        }
        let text = std::fs::read_to_string(&file).expect("readable");
        for used in used_modules(&non_test_code(&text)) {
            if used == top {
                continue;
            }
            let Some(to) = layer_of(&used) else {
                continue; // a re-export at the crate root (`crate::Amount`), not a module
            };
            if to > from {
                upward.insert(format!("{top} -> {used}"));
            }
        }
    }
    upward
}

#[test]
fn no_module_uses_a_layer_above_it_beyond_the_known_debt() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = upward_imports(&src);
    let known: BTreeSet<String> = KNOWN_UPWARD.iter().map(|s| (*s).to_owned()).collect();
    let new: Vec<&String> = found.difference(&known).collect();
    assert!(
        new.is_empty(),
        "upward imports (a module may only use its own layer or below; see docs/architecture.md): {new:?}"
    );
    let gone: Vec<&String> = known.difference(&found).collect();
    assert!(
        gone.is_empty(),
        "no longer upward, remove from KNOWN_UPWARD: {gone:?}"
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    let dir = std::env::temp_dir().join(format!("rampart-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bank")).unwrap();
    std::fs::write(
        dir.join("bank/mod.rs"),
        "use crate::num::Amount;\nuse crate::{vault::VaultView, ids};\n#[cfg(test)]\nmod tests {\n    use crate::query::Query;\n}\n// crate::tx in a comment\n",
    )
    .unwrap();
    std::fs::write(dir.join("num.rs"), "use crate::time::Timestamp;\n").unwrap();
    std::fs::create_dir_all(dir.join("lst")).unwrap();
    std::fs::write(dir.join("lst/view.rs"), "use crate::query::PositionView;\n").unwrap();
    std::fs::write(dir.join("lst/mod.rs"), "use crate::insight::lst_yield;\n").unwrap();
    let found = upward_imports(&dir);
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["bank -> vault", "lst -> insight"].map(str::to_owned),
        "a kernel module using a component is upward, a primitive using another primitive is \
         not, a component's view using the read layer is not but its other code is; test code \
         and comments are not counted"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `(id, name)` of every table declared in a `tables!` block of the core's non-test code.
fn declared_tables(src: &Path) -> BTreeSet<(u8, String)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = BTreeSet::new();
    for file in files {
        let code = non_test_code(&std::fs::read_to_string(&file).expect("readable"));
        let mut inside = false;
        for line in code.lines() {
            let t = line.trim();
            if t.ends_with("tables! {") {
                inside = true;
                continue;
            }
            if inside && t.starts_with('}') {
                inside = false;
                continue;
            }
            // `3 accounts: Accounts(Address => Account),`
            let Some((id, rest)) = t.split_once(' ') else {
                continue;
            };
            let (Ok(id), Some((name, _))) = (id.parse::<u8>(), rest.split_once(':')) else {
                continue;
            };
            if inside {
                out.insert((id, name.trim().to_owned()));
            }
        }
    }
    out
}

/// The schema lists every table a component declares (a table left out of it would be written
/// but could not be decoded from storage), and nothing else.
#[test]
fn the_schema_lists_every_declared_table() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let declared = declared_tables(&src);
    assert!(declared.len() > 50, "found only {declared:?}");
    let listed: BTreeSet<(u8, String)> = rampart_core::schema::TABLES
        .iter()
        .map(|(id, name)| (*id, (*name).to_owned()))
        .collect();
    let missing: Vec<_> = declared.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&declared).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "declared but not in schema!: {missing:?}; in schema! but not declared: {extra:?}"
    );
}

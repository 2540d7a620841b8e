//! Short import names for the main module (issue 13): wasm-bindgen names each JS function the
//! wasm imports `__wbg_<name>_<16 hex>` under the module `./<app>-<hash>_bg.js`, and wasm-split's
//! view loaders `__wasm_split_load_<view>_<20 digits>` under `./__wasm_split-<hash>.js`. Those
//! names are object keys in the glue, which esbuild cannot shorten, and they sit again in the
//! wasm's import section: about 11 KB of the first load's JS and 17.5 KB of the raw wasm.
//!
//! [`shorten`] gives every import module and every imported name a short one (`a`, `b`, …, `Z`,
//! `a0`, …; the names counted per module), rewrites the wasm's import section
//! ([`rename_imports`], every other section byte for byte as it was) and the keys that match in
//! the glue's `__wbg_get_imports()`: the returned object's module keys and the names of each
//! module whose object the glue writes out (`const import0 = { … }`). The view loaders are the
//! exports of the chunks' loader, which the glue imports through its stub (`wasm.rs`,
//! `link_stub`): their new names are handed back for the stub and the loader to export.
//!
//! Each name is renamed only where it is found exactly as expected: a key of its module's object,
//! found there once and nowhere else in the glue. Anything else fails the build with a sentence
//! saying which name, so a new wasm-bindgen output cannot silently give the page a wasm whose
//! imports the glue does not provide.
//!
//! The exports the glue reads (`wasm.__wbindgen_malloc`, `wasm.__wbindgen_start()`, the closure
//! invokers `wasm._ZN12wasm_bindgen7convert8closures…E`, …) are property names esbuild cannot
//! shorten either: [`short_exports`] renames them in the export section ([`rename_exports`]) and
//! at each `wasm.<name>` of the glue. What JS outside the glue reads by name from `initSync()`'s
//! result keeps its name: the memory, the function table and wasm-split's shared items, which
//! the chunks' loader hands to the chunks ([`exports_read`] finds its reads, and its stub's). The
//! glue must reach the exports only as `wasm.<name>` (its object `wasm` only in the statements of
//! [`WHOLE_EXPORTS`]); any other form of a renamed name fails the build.

use std::collections::BTreeMap;

/// The result of [`shorten`].
#[derive(Debug)]
pub struct Shortened {
    /// The main module with its short import names.
    pub wasm: Vec<u8>,
    /// The glue with the same names as keys of its import objects.
    pub glue: String,
    /// The chunks' loader's exports the wasm imports: (wasm-split's name, the new name).
    pub link: Vec<(String, String)>,
    /// The main module's exports that were renamed: (wasm-bindgen's name, the new name).
    pub exports: Vec<(String, String)>,
}

/// Short import and export names for the main module `wasm` and its glue (wasm-bindgen's
/// un-minified JS); `link_module` is the module name the wasm imports the view loaders from
/// (`./__wasm_split-<hash>.js`), `read_elsewhere` the exports that JS outside the glue reads by
/// name ([`exports_read`] of the chunks' loader and of its stub), which keep their names.
pub fn shorten(
    wasm: &[u8],
    glue: &str,
    link_module: &str,
    read_elsewhere: &[String],
) -> Result<Shortened, String> {
    let imports = wasm_imports(wasm)?;
    let body = get_imports_body(glue)?;
    let returned = returned_modules(&glue[body.clone()])?;

    // Each module in the order the wasm first imports it, with its short name and its names'.
    let mut modules: Vec<(String, String, BTreeMap<String, String>)> = Vec::new();
    for (module, name) in &imports {
        let at = match modules.iter().position(|(m, ..)| m == module) {
            Some(at) => at,
            None => {
                modules.push((module.clone(), short_name(modules.len()), BTreeMap::new()));
                modules.len() - 1
            }
        };
        let names = &mut modules[at].2;
        if !names.contains_key(name) {
            let short = short_name(names.len());
            names.insert(name.clone(), short);
        }
    }

    let mut out = glue.to_string();
    let mut link = Vec::new();
    // The renames of the object keys, as (byte range in `glue`, new text), applied at the end.
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut renamed: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (module, short, names) in &modules {
        let values: Vec<&(String, String, std::ops::Range<usize>)> =
            returned.iter().filter(|(m, ..)| m == module).collect();
        if values.is_empty() {
            return Err(format!(
                "the wasm imports the module \"{module}\" but wasm-bindgen's glue has no key for it \
                 in __wbg_get_imports(): has its output changed?"
            ));
        }
        for (_, _, key) in &values {
            let at = body.start + key.start;
            edits.push((at..at + key.len(), format!("\"{short}\"")));
        }
        let objects: Vec<std::ops::Range<usize>> = values
            .iter()
            .filter_map(|(_, value, _)| object_block(&glue[body.clone()], value))
            .map(|r| body.start + r.start..body.start + r.end)
            .collect();
        if module == link_module {
            link.extend(names.iter().map(|(n, s)| (n.clone(), s.clone())));
        } else if let [object] = objects.as_slice() {
            for (name, short) in names {
                edits.push((key_in(glue, object, name)?, short.clone()));
            }
        } else if !objects.is_empty() {
            return Err(format!(
                "wasm-bindgen's glue gives the module \"{module}\" {} objects: has its output changed?",
                objects.len()
            ));
        } else {
            // A module of its own (a snippet): its exports keep their names.
            renamed.insert(
                module.clone(),
                names.keys().map(|n| (n.clone(), n.clone())).collect(),
            );
            continue;
        }
        renamed.insert(module.clone(), names.clone());
    }
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    for (range, text) in edits {
        out.replace_range(range, &text);
    }
    let (exports, out) = short_exports(wasm, &out, read_elsewhere)?;
    let module_names: BTreeMap<&str, &str> = modules
        .iter()
        .map(|(m, s, _)| (m.as_str(), s.as_str()))
        .collect();
    let wasm = rename_imports(wasm, |module, name| {
        (
            module_names[module].to_string(),
            renamed[module][name].clone(),
        )
    })?;
    let short: BTreeMap<&str, &str> = exports
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    let wasm = rename_exports(&wasm, |name| {
        short.get(name).copied().unwrap_or(name).to_string()
    })?;
    Ok(Shortened {
        wasm,
        glue: out,
        link,
        exports,
    })
}

/// The exports that keep their names, whoever reads them: the memory and the function table
/// (the chunks' loader and its stub read them by name from `initSync()`'s result, [`exports_read`])
/// and what wasm-split shares with the chunks (`__wasm_split_*`: the loader hands them to the
/// chunks under these names, which the chunks import).
const KEPT_EXPORTS: [&str; 2] = ["memory", "__indirect_function_table"];
const SPLIT_EXPORTS: &str = "__wasm_split";

/// The glue's only statements that use its exports object `wasm` other than as `wasm.<name>`:
/// its declaration, its assignment (the glue's one read of `instance.exports`), and handing it
/// back from `__wbg_finalize_init`, `initSync` and `init`: to the page's loader, which reads
/// nothing in it by name, and to the chunks' loader and its stub, whose reads are
/// [`exports_read`]'s.
const WHOLE_EXPORTS: [&str; 4] = [
    "let wasmModule, wasmInstance, wasm;",
    "wasm = instance.exports;",
    "return wasm;",
    "if (wasm !== undefined) return wasm;",
];

/// Short names for the exports of `wasm` that the glue reads, as `wasm.<name>`, and nothing
/// else reads by name (`read_elsewhere`, [`exports_read`], and [`KEPT_EXPORTS`]): the renames,
/// in the wasm's export order, and the glue with each `wasm.<name>` renamed. An export the glue
/// does not read keeps its name (`main`, lld's `__data_end`, …: no JS of the page reads them,
/// but a debugger or another tool might). Fails, with a sentence, when a name kept for a reader
/// outside the glue is not exported, when the glue reads an export or the exports object in
/// any other form (it would no longer find what it reads), or reads what is not exported.
fn short_exports(
    wasm: &[u8],
    glue: &str,
    read_elsewhere: &[String],
) -> Result<(Vec<(String, String)>, String), String> {
    let exports: Vec<String> = wasm_exports(wasm)?.into_iter().map(|(n, _)| n).collect();
    for name in KEPT_EXPORTS
        .iter()
        .copied()
        .chain(read_elsewhere.iter().map(String::as_str))
    {
        if !exports.iter().any(|e| e == name) {
            return Err(format!(
                "the main module does not export `{name}`, which the chunks' loader or its stub \
                 reads by name from its exports: has wasm-bindgen's or wasm-split's output changed?"
            ));
        }
    }
    let kept = |name: &str| {
        KEPT_EXPORTS.contains(&name)
            || name.starts_with(SPLIT_EXPORTS)
            || read_elsewhere.iter().any(|r| r == name)
    };
    let uses = identifier_uses(glue, "exports");
    if uses.len() != 1 || line_at(glue, uses[0]).trim() != "wasm = instance.exports;" {
        return Err(format!(
            "wasm-bindgen's glue reads the instance's exports {} time(s), not once as `wasm = \
             instance.exports;`: the short export names would not reach what it reads; has its \
             output changed?",
            uses.len()
        ));
    }
    // Where each `wasm.<name>` of the glue has its name.
    let mut reads: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for at in identifier_uses(glue, "wasm") {
        // A file name (`…_bg.wasm`) or a media type (`application/wasm`) in a string.
        if matches!(glue[..at].chars().next_back(), Some('.' | '/')) {
            continue;
        }
        let after = &glue[at + "wasm".len()..];
        if let Some(rest) = after.strip_prefix('.') {
            let len = rest
                .find(|c: char| !is_identifier_char(c))
                .unwrap_or(rest.len());
            reads
                .entry(&rest[..len])
                .or_default()
                .push(at + "wasm.".len());
        } else if !WHOLE_EXPORTS.contains(&line_at(glue, at).trim()) {
            return Err(format!(
                "wasm-bindgen's glue uses the wasm's exports as `{}`, not as `wasm.<name>`: the \
                 short export names would not reach what it reads; has its output changed?",
                line_at(glue, at).trim()
            ));
        }
    }
    if let Some(name) = reads.keys().find(|n| !exports.iter().any(|e| e == *n)) {
        return Err(format!(
            "wasm-bindgen's glue reads `wasm.{name}`, which the main module does not export: has \
             its output changed?"
        ));
    }
    let mut renames = Vec::new();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut n = 0;
    for name in exports.iter().filter(|n| !kept(n)) {
        let at = reads.get(name.as_str()).map_or(&[][..], Vec::as_slice);
        // wasm-bindgen wraps a closure's invoker in a JS function of the same name, which
        // esbuild shortens: its declaration, its calls and the references to it (handed to
        // `makeMutClosure`) are not reads of the export. A property of that name, a key or a
        // string would be.
        let declaration = format!("\nfunction {name}(");
        let own = glue.matches(&declaration).count() == 1;
        let all = identifier_uses(glue, name);
        let other: Vec<usize> = all
            .iter()
            .copied()
            .filter(|i| !at.contains(i))
            .filter(|&i| {
                let before = glue[..i].chars().next_back();
                let after = glue[i + name.len()..].chars().next();
                let reference = !matches!(before, Some('.' | '\'' | '"' | '`'))
                    && !matches!(after, Some(':' | '\'' | '"' | '`'));
                !(own && reference)
            })
            .collect();
        if !other.is_empty() {
            return Err(format!(
                "wasm-bindgen's glue has the export `{name}` {} time(s), {} of them as \
                 `wasm.{name}`{}, and {} time(s) otherwise: renamed, it would not be found there; \
                 has its output changed?",
                all.len(),
                at.len(),
                if own {
                    " and as its own function of that name"
                } else {
                    ""
                },
                other.len()
            ));
        }
        if at.is_empty() {
            continue;
        }
        // Never the name of an export that keeps its own.
        let short = loop {
            let short = short_name(n);
            n += 1;
            if !exports.contains(&short) {
                break short;
            }
        };
        edits.extend(at.iter().map(|&i| (i, name.len(), short.clone())));
        renames.push((name.clone(), short));
    }
    edits.sort_by_key(|(at, ..)| std::cmp::Reverse(*at));
    let mut out = glue.to_string();
    for (at, len, short) in edits {
        out.replace_range(at..at + len, &short);
    }
    Ok((renames, out))
}

/// The exports `js` (the chunks' loader, or its stub) reads by name from the main instance's
/// exports, which it gets from the glue's `initSync(undefined, undefined)`, as
/// `const { a, b, } = initSync(undefined, undefined);` or `initSync(undefined, undefined).a`.
/// Fails when it uses `initSync` otherwise, or never calls it: what it reads would not be known.
pub fn exports_read(js: &str) -> Result<Vec<String>, String> {
    const CALL: &str = "initSync(undefined, undefined)";
    let mut names = Vec::new();
    let mut calls = 0;
    for at in identifier_uses(js, "initSync") {
        let line = line_at(js, at);
        let before = js[..at].rfind('\n').map_or(&js[..at], |i| &js[i + 1..at]);
        let rest = &js[at..];
        if before == "import { " && line.starts_with("import { initSync } from ") {
            continue;
        }
        calls += 1;
        let read = if let Some(rest) = rest.strip_prefix(CALL).and_then(|r| r.strip_prefix('.')) {
            let len = rest
                .find(|c: char| !is_identifier_char(c))
                .unwrap_or(rest.len());
            Some(vec![&rest[..len]])
        } else if rest.strip_prefix(CALL).is_some_and(|r| r.starts_with(';')) {
            before
                .trim_start()
                .strip_prefix("const {")
                .and_then(|list| list.strip_suffix("} = "))
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .collect()
                })
        } else {
            None
        };
        match read {
            Some(read) if !read.is_empty() && read.iter().all(|n| is_identifier(n)) => {
                names.extend(read.into_iter().map(String::from));
            }
            _ => {
                return Err(format!(
                    "the chunks' loader uses the main instance's exports as `{}`, not as `const \
                     {{ … }} = {CALL};` or `{CALL}.<name>`: the exports it reads by name would not \
                     be known; has wasm-split's output changed?",
                    line.trim()
                ));
            }
        }
    }
    if calls == 0 {
        return Err(format!(
            "the chunks' loader never calls `{CALL}`: how it reaches the main instance's exports \
             is not known; has wasm-split's output changed?"
        ));
    }
    Ok(names)
}

/// The `n`th short name: `a`…`z`, `A`…`Z`, then a letter and base-62 digits (`a0`, …), never a
/// word JavaScript reserves (the names are object keys and export names).
pub fn short_name(n: usize) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const REST: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const RESERVED: &[&str] = &[
        "do", "if", "in", "for", "let", "new", "try", "var", "case", "else", "enum", "eval",
        "null", "this", "true", "void", "with",
    ];
    let mut k = 0;
    let mut i = 0;
    loop {
        // The `i`th name of the plain sequence.
        let (mut rest, mut len, mut count) = (i, 1, FIRST.len());
        while rest >= count {
            rest -= count;
            len += 1;
            count *= REST.len();
        }
        let mut name = Vec::with_capacity(len);
        for _ in 1..len {
            name.push(REST[rest % REST.len()]);
            rest /= REST.len();
        }
        name.push(FIRST[rest]);
        name.reverse();
        let name = String::from_utf8(name).expect("ASCII");
        i += 1;
        if RESERVED.contains(&name.as_str()) {
            continue;
        }
        if k == n {
            return name;
        }
        k += 1;
    }
}

/// The byte range of the body of `function __wbg_get_imports() { … }` in `glue`.
fn get_imports_body(glue: &str) -> Result<std::ops::Range<usize>, String> {
    const START: &str = "\nfunction __wbg_get_imports() {\n";
    // From the end of the function's first line: each line of the body then follows a `\n`.
    let start = glue.find(START).map(|i| i + START.len() - 1).ok_or(
        "wasm-bindgen's glue has no `function __wbg_get_imports() {` (the wasm's imports): has its \
         output changed?",
    )?;
    let end = glue[start..]
        .find("\n}\n")
        .map(|i| start + i + 1)
        .ok_or("wasm-bindgen's glue: __wbg_get_imports() has no end: has its output changed?")?;
    Ok(start..end)
}

/// The `return { "module": value, … };` of `__wbg_get_imports()` (its `body`): each module, its
/// value's name and the byte range of the quoted key in `body`.
fn returned_modules(body: &str) -> Result<Vec<(String, String, std::ops::Range<usize>)>, String> {
    const START: &str = "\n    return {\n";
    let start = body.find(START).map(|i| i + START.len()).ok_or(
        "wasm-bindgen's glue: __wbg_get_imports() has no `return {`: has its output changed?",
    )?;
    let end = body[start..].find("    };").map(|i| start + i).ok_or(
        "wasm-bindgen's glue: __wbg_get_imports()'s returned object has no end: has its output \
         changed?",
    )?;
    let mut modules = Vec::new();
    let mut at = start;
    for line in body[start..end].split_inclusive('\n') {
        let here = at;
        at += line.len();
        let item = line.trim();
        if item.is_empty() || item == "__proto__: null," {
            continue;
        }
        let parsed = item
            .strip_prefix('"')
            .and_then(|rest| rest.split_once("\": "))
            .and_then(|(module, value)| Some((module, value.strip_suffix(',')?)))
            .filter(|(module, value)| !module.contains('"') && is_identifier(value));
        let Some((module, value)) = parsed else {
            return Err(format!(
                "wasm-bindgen's glue: __wbg_get_imports() returns `{item}`, not `\"module\": \
                 importN,`: has its output changed?"
            ));
        };
        let key = here + line.find('"').expect("checked");
        modules.push((
            module.to_string(),
            value.to_string(),
            key..key + module.len() + 2,
        ));
    }
    Ok(modules)
}

/// The byte range in `body` of the object `const <name> = { … };` of `__wbg_get_imports()`,
/// from its first key line to its closing line.
fn object_block(body: &str, name: &str) -> Option<std::ops::Range<usize>> {
    let start = format!("\n    const {name} = {{\n");
    let from = body.find(&start)? + start.len();
    let to = from + body[from..].find("\n    };\n")? + 1;
    Some(from..to)
}

/// The byte range of `name` as a key of the object at `object` (a range of `glue`): a line
/// `        name: …` there, once, and `name` nowhere else in the glue (anything that used it
/// would break with the new name).
fn key_in(
    glue: &str,
    object: &std::ops::Range<usize>,
    name: &str,
) -> Result<std::ops::Range<usize>, String> {
    let uses = identifier_uses(glue, name);
    let key = format!("\n        {name}:");
    let keys: Vec<usize> = uses
        .iter()
        .copied()
        .filter(|&i| {
            object.contains(&i) && i >= 9 && glue.as_bytes()[i - 9..].starts_with(key.as_bytes())
        })
        .collect();
    match (keys.as_slice(), uses.len()) {
        ([at], 1) => Ok(*at..*at + name.len()),
        _ => Err(format!(
            "the wasm imports `{name}`, which wasm-bindgen's glue has {} time(s) as a key of its \
             import object and {} time(s) in all (expected once, as that key): has its output \
             changed?",
            keys.len(),
            uses.len()
        )),
    }
}

/// Where `name` is in `js` as a whole word (not part of a longer identifier).
fn identifier_uses(js: &str, name: &str) -> Vec<usize> {
    js.match_indices(name)
        .map(|(i, _)| i)
        .filter(|&i| {
            let before = js[..i].chars().next_back();
            let after = js[i + name.len()..].chars().next();
            !before.is_some_and(is_identifier_char) && !after.is_some_and(is_identifier_char)
        })
        .collect()
}

/// The line of `js` that byte `at` is on, without its `\n`.
fn line_at(js: &str, at: usize) -> &str {
    let start = js[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = js[at..].find('\n').map_or(js.len(), |i| at + i);
    &js[start..end]
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(is_identifier_char)
}

/// Each section of a core wasm module: its id and its bytes (id, size and contents).
pub fn sections(wasm: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    if wasm.get(..8) != Some(b"\0asm\x01\0\0\0") {
        return Err("not a core wasm module (version 1)".into());
    }
    let mut at = 8;
    let mut out = Vec::new();
    while at < wasm.len() {
        let id = wasm[at];
        let (size, len) = read_u32(&wasm[at + 1..])
            .ok_or_else(|| format!("the wasm's section at byte {at} has no valid size"))?;
        let end = at + 1 + len + size as usize;
        if end > wasm.len() {
            return Err(format!("the wasm's section at byte {at} runs past its end"));
        }
        out.push((id, &wasm[at..end]));
        at = end;
    }
    Ok(out)
}

/// An unsigned LEB128 u32 at the start of `bytes`: its value and its length.
fn read_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value).ok().map(|v| (v, i + 1));
        }
    }
    None
}

/// The wasm's imports, (module, name), in order.
pub fn wasm_imports(wasm: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (id, section) in sections(wasm)? {
        if id == 2 {
            for import in import_reader(section)?.into_imports() {
                let import = import.map_err(|e| format!("the wasm's import section: {e}"))?;
                out.push((import.module.to_string(), import.name.to_string()));
            }
        }
    }
    Ok(out)
}

fn import_reader(section: &[u8]) -> Result<wasmparser::ImportSectionReader<'_>, String> {
    let (_, len) = read_u32(&section[1..]).expect("checked by sections()");
    let contents = &section[1 + len..];
    wasmparser::ImportSectionReader::new(wasmparser::BinaryReader::new(contents, 0))
        .map_err(|e| format!("the wasm's import section: {e}"))
}

/// `wasm` with each import's (module, name) replaced by `rename(module, name)`; every other
/// section is copied byte for byte.
pub fn rename_imports(
    wasm: &[u8],
    rename: impl Fn(&str, &str) -> (String, String),
) -> Result<Vec<u8>, String> {
    use wasm_encoder::Encode;
    let mut out = wasm[..8].to_vec();
    for (id, section) in sections(wasm)? {
        if id != 2 {
            out.extend_from_slice(section);
            continue;
        }
        let mut imports = wasm_encoder::ImportSection::new();
        for import in import_reader(section)?.into_imports() {
            let import = import.map_err(|e| format!("the wasm's import section: {e}"))?;
            let ty = wasm_encoder::EntityType::try_from(import.ty)
                .map_err(|e| format!("the wasm's import {}: {e}", import.name))?;
            let (module, name) = rename(import.module, import.name);
            imports.import(&module, &name, ty);
        }
        out.push(id);
        imports.encode(&mut out);
    }
    Ok(out)
}

/// The main module's exports, (name, kind), in order.
pub fn wasm_exports(wasm: &[u8]) -> Result<Vec<(String, wasmparser::ExternalKind)>, String> {
    let mut out = Vec::new();
    for (id, section) in sections(wasm)? {
        if id == 7 {
            for export in export_reader(section)? {
                let export = export.map_err(|e| format!("the wasm's export section: {e}"))?;
                out.push((export.name.to_string(), export.kind));
            }
        }
    }
    Ok(out)
}

fn export_reader(section: &[u8]) -> Result<wasmparser::ExportSectionReader<'_>, String> {
    let (_, len) = read_u32(&section[1..]).expect("checked by sections()");
    let contents = &section[1 + len..];
    wasmparser::ExportSectionReader::new(wasmparser::BinaryReader::new(contents, 0))
        .map_err(|e| format!("the wasm's export section: {e}"))
}

/// `wasm` with each export's name replaced by `rename(name)`; every other section is copied
/// byte for byte.
pub fn rename_exports(wasm: &[u8], rename: impl Fn(&str) -> String) -> Result<Vec<u8>, String> {
    edit_exports(wasm, |name| Some(rename(name)))
}

/// `wasm` with each export under the name `edit` gives it, or taken out where it gives `None`;
/// every other section byte for byte as it was.
pub fn edit_exports(wasm: &[u8], edit: impl Fn(&str) -> Option<String>) -> Result<Vec<u8>, String> {
    use wasm_encoder::Encode;
    let mut out = wasm[..8].to_vec();
    for (id, section) in sections(wasm)? {
        if id != 7 {
            out.extend_from_slice(section);
            continue;
        }
        let mut exports = wasm_encoder::ExportSection::new();
        for export in export_reader(section)? {
            let export = export.map_err(|e| format!("the wasm's export section: {e}"))?;
            if let Some(name) = edit(export.name) {
                exports.export(&name, export.kind.into(), export.index);
            }
        }
        out.push(id);
        exports.encode(&mut out);
    }
    Ok(out)
}

/// The helper [`shared_string_returns`] adds to the glue.
const PASS_STRING: &str = "sfPassString";

/// The glue with one helper for what each imported function that returns a string to the wasm
/// repeats (21 of them: about 1.5 KB of the minified JS): wasm-bindgen writes the string into
/// the wasm's memory and its pointer and length at the address the wasm passed,
///
/// ```js
///             const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
///             const len1 = WASM_VECTOR_LEN;
///             getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
///             getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
///         },
/// ```
///
/// (or `var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(…)` for an optional string), which
/// becomes `sfPassString(arg0, ret)` (`sfPassString(arg0, ret, 1)`), the same statements in a
/// function. Only these exact lines, at the end of a function, are replaced. When the glue
/// passes strings back but none in this form, wasm-bindgen's output has changed: an error, so
/// the saving is not lost unnoticed.
pub fn shared_string_returns(glue: &str) -> Result<String, String> {
    if glue.contains(PASS_STRING) {
        return Err(format!("wasm-bindgen's glue already has a `{PASS_STRING}`"));
    }
    let lines: Vec<&str> = glue.split_inclusive('\n').collect();
    let mut out = String::with_capacity(glue.len());
    let (mut plain, mut optional) = (0, 0);
    let mut i = 0;
    while i < lines.len() {
        if let Some((call, is_optional)) = string_return(&lines[i..]) {
            out.push_str(&call);
            if is_optional {
                optional += 1;
            } else {
                plain += 1;
            }
            i += 4;
        } else {
            out.push_str(lines[i]);
            i += 1;
        }
    }
    if plain + optional == 0 {
        if glue.contains("passStringToWasm0(ret, ") {
            return Err(
                "wasm-bindgen's glue passes strings back to the wasm, but not as \
                 `const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, \
                 wasm.__wbindgen_realloc);` and the three lines after it: has its output changed?"
                    .into(),
            );
        }
        return Ok(out);
    }
    // `isLikeNone` is in the glue only when a function used it.
    let ptr = if optional > 0 {
        "optional && isLikeNone(s) ? 0 : passStringToWasm0"
    } else {
        "passStringToWasm0"
    };
    out.push_str(&format!(
        "
function {PASS_STRING}(at, s, optional) {{
    const ptr = {ptr}(s, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    const len = WASM_VECTOR_LEN;
    getDataViewMemory0().setInt32((at >>> 0) + 4 * 1, len, true);
    getDataViewMemory0().setInt32((at >>> 0) + 4 * 0, ptr, true);
}}
"
    ));
    Ok(out)
}

/// When `lines` start with the four lines [`shared_string_returns`] replaces, at the end of a
/// function: the call that replaces them, and whether the string is optional.
fn string_return(lines: &[&str]) -> Option<(String, bool)> {
    let [first, second, third, fourth, after, ..] = lines else {
        return None;
    };
    let indent = &first[..first.len() - first.trim_start().len()];
    let rest = first[indent.len()..].strip_suffix('\n')?;
    let (kind, rest) = rest.split_once(' ')?;
    if kind != "const" && kind != "var" {
        return None;
    }
    let (ptr, rest) = rest.split_once(" = ")?;
    let n = ptr.strip_prefix("ptr").filter(|n| is_number(n))?;
    let (value, optional) = match rest.strip_prefix("isLikeNone(") {
        Some(rest) => {
            let (value, rest) = rest.split_once(") ? 0 : ")?;
            (value, Some(rest))
        }
        None => ("", None),
    };
    let call = optional.unwrap_or(rest);
    let arg = call
        .strip_prefix("passStringToWasm0(")?
        .strip_suffix(", wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);")?;
    if !is_identifier(arg) || (optional.is_some() && value != arg) {
        return None;
    }
    if (optional.is_some()) != (kind == "var") {
        return None;
    }
    let len = format!("len{n}");
    if *second != format!("{indent}{kind} {len} = WASM_VECTOR_LEN;\n") {
        return None;
    }
    let at = third
        .strip_prefix(&format!("{indent}getDataViewMemory0().setInt32(("))?
        .strip_suffix(&format!(" >>> 0) + 4 * 1, {len}, true);\n"))?;
    if !is_identifier(at)
        || *fourth
            != format!(
                "{indent}getDataViewMemory0().setInt32(({at} >>> 0) + 4 * 0, {ptr}, true);\n"
            )
    {
        return None;
    }
    // The function ends there: nothing else reads `ptrN` or `lenN`.
    let after_indent = after.len() - after.trim_start().len();
    if !after.trim_start().starts_with('}') || after_indent >= indent.len() {
        return None;
    }
    let flag = if optional.is_some() { ", 1" } else { "" };
    Some((
        format!("{indent}{PASS_STRING}({at}, {arg}{flag});\n"),
        optional.is_some(),
    ))
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module like wasm-bindgen's output: functions imported from the glue's object and from
    /// the chunks' loader (a memory, a global and a table imported too when `others`), then
    /// every other kind of section (types, functions, exports, code, data, a custom section).
    fn module(imports: &[(&str, &str)], others: bool) -> Vec<u8> {
        use wasm_encoder::*;
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32], [ValType::I32]);
        types.ty().function([], []);
        m.section(&types);
        let mut section = ImportSection::new();
        for (module, name) in imports {
            section.import(module, name, EntityType::Function(0));
        }
        if others {
            section.import(
                "__wasm_split",
                "memory",
                MemoryType {
                    minimum: 17,
                    maximum: Some(16384),
                    memory64: false,
                    shared: false,
                    page_size_log2: None,
                },
            );
            section.import(
                "env",
                "g",
                GlobalType {
                    val_type: ValType::I64,
                    mutable: true,
                    shared: false,
                },
            );
            section.import(
                "env",
                "t",
                TableType {
                    element_type: RefType::FUNCREF,
                    minimum: 3,
                    maximum: None,
                    table64: false,
                    shared: false,
                },
            );
        }
        m.section(&section);
        let mut functions = FunctionSection::new();
        functions.function(1);
        m.section(&functions);
        if !others {
            // A table, a memory and a global of their own (exported, as wasm-bindgen's are).
            let mut tables = TableSection::new();
            tables.table(TableType {
                element_type: RefType::FUNCREF,
                minimum: 1,
                maximum: None,
                table64: false,
                shared: false,
            });
            m.section(&tables);
            let mut memories = MemorySection::new();
            memories.memory(MemoryType {
                minimum: 1,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            });
            m.section(&memories);
            let mut globals = GlobalSection::new();
            globals.global(
                GlobalType {
                    val_type: ValType::I32,
                    mutable: false,
                    shared: false,
                },
                &ConstExpr::i32_const(7),
            );
            m.section(&globals);
        }
        let mut exports = ExportSection::new();
        for (name, kind) in EXPORTS {
            let index = if kind == ExportKind::Func {
                imports.len() as u32
            } else {
                0
            };
            exports.export(name, kind, index);
        }
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        for i in 0..imports.len() as u32 {
            f.instructions().i32_const(i as i32).call(i).drop();
        }
        f.instructions().end();
        code.function(&f);
        m.section(&code);
        let mut data = DataSection::new();
        data.active(0, &ConstExpr::i32_const(8), b"hello".iter().copied());
        m.section(&data);
        m.section(&CustomSection {
            name: "producers".into(),
            data: b"\x01\x02\x03".as_slice().into(),
        });
        let wasm = m.finish();
        wasmparser::validate(&wasm).expect("the test module is valid");
        wasm
    }

    /// The test module's exports, as wasm-bindgen's main module has them.
    const EXPORTS: [(&str, wasm_encoder::ExportKind); 9] = {
        use wasm_encoder::ExportKind::*;
        [
            ("main", Func),
            ("__wasm_split_shared0", Global),
            ("__indirect_function_table", Table),
            ("memory", Memory),
            (
                "_ZN12wasm_bindgen7convert8closures1_6invoke17h0a4775bc71dbdd44E",
                Func,
            ),
            ("__wbindgen_malloc", Func),
            ("__wbindgen_externrefs", Table),
            ("__wbindgen_free", Func),
            ("__wbindgen_start", Func),
        ]
    };

    fn types(wasm: &[u8]) -> Vec<wasmparser::TypeRef> {
        let mut out = Vec::new();
        for (id, section) in sections(wasm).unwrap() {
            if id == 2 {
                for import in import_reader(section).unwrap().into_imports() {
                    out.push(import.unwrap().ty);
                }
            }
        }
        out
    }

    #[test]
    fn short_names_are_unique_identifiers_that_javascript_does_not_reserve() {
        let names: Vec<String> = (0..5000).map(short_name).collect();
        assert_eq!((&*names[0], &*names[25], &*names[26]), ("a", "z", "A"));
        assert_eq!((&*names[51], &*names[52], &*names[53]), ("Z", "a0", "a1"));
        assert_eq!(names.iter().filter(|n| n.len() == 1).count(), 52);
        assert!(names.iter().all(|n| is_identifier(n) && n.len() <= 3));
        for reserved in ["do", "if", "in", "for", "new", "var"] {
            assert!(!names.iter().any(|n| n == reserved), "{reserved}");
        }
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn the_import_section_gets_the_new_names_and_every_other_section_is_kept() {
        let wasm = module(
            &[
                ("./app-h_bg.js", "__wbg_done_57e08d0be6e30c02"),
                ("./app-h_bg.js", "__wbindgen_init_externref_table"),
                (
                    "./__wasm_split-h.js",
                    "__wasm_split_load_about_17739426489999002709",
                ),
            ],
            true,
        );
        let out = rename_imports(&wasm, |module, name| {
            (
                format!("m{}", module.len()),
                format!("{name}-{}", name.len() % 10),
            )
        })
        .unwrap();
        wasmparser::validate(&out).expect("still a valid module");
        assert_eq!(
            wasm_imports(&out).unwrap(),
            [
                ("m13", "__wbg_done_57e08d0be6e30c02-7"),
                ("m13", "__wbindgen_init_externref_table-1"),
                ("m19", "__wasm_split_load_about_17739426489999002709-4"),
                ("m12", "memory-6"),
                ("m3", "g-1"),
                ("m3", "t-1"),
            ]
            .map(|(m, n)| (m.to_string(), n.to_string()))
        );
        // The same kinds and types, and the other sections byte for byte.
        assert_eq!(types(&out), types(&wasm));
        let (before, after) = (sections(&wasm).unwrap(), sections(&out).unwrap());
        assert_eq!(before.len(), after.len());
        for ((id, a), (id2, b)) in before.iter().zip(&after) {
            assert_eq!(id, id2);
            if *id != 2 {
                assert_eq!(a, b, "section {id}");
            }
        }
        // Shorter names, a smaller module; the same names, the same bytes.
        let short = rename_imports(&wasm, |_, _| ("a".into(), "b".into())).unwrap();
        assert!(short.len() < wasm.len() - 90);
        let same = rename_imports(&wasm, |m, n| (m.into(), n.into())).unwrap();
        assert_eq!(same, wasm);
        assert!(rename_imports(b"\0asm\x0d\0\x01\0", |m, n| (m.into(), n.into())).is_err());
        assert!(rename_imports(&wasm[..wasm.len() - 1], |m, n| (m.into(), n.into())).is_err());
    }

    const LONG: [(&str, &str); 4] = [
        ("./app-h_bg.js", "__wbg_done_57e08d0be6e30c02"),
        (
            "./__wasm_split-h.js",
            "__wasm_split_load_about_17739426489999002709",
        ),
        ("./app-h_bg.js", "__wbindgen_init_externref_table"),
        (
            "./__wasm_split-h.js",
            "__wasm_split_load_run_3665143824928278038",
        ),
    ];

    /// The shape of wasm-bindgen's glue (0.2.10x, `--target web`).
    fn glue(import0: &str) -> String {
        format!(
            "import * as import1 from \"./__wasm_split-h.js\"
import * as import2 from \"./__wasm_split-h.js\"

export function run() {{
    wasm.__wbindgen_malloc(1);
}}
function __wbg_get_imports() {{
    const import0 = {{
        __proto__: null,
{import0}    }};
    return {{
        __proto__: null,
        \"./app-h_bg.js\": import0,
        \"./__wasm_split-h.js\": import1,
        \"./__wasm_split-h.js\": import2,
    }};
}}

function later() {{}}
function closure(a, b) {{
    wasm._ZN12wasm_bindgen7convert8closures1_6invoke17h0a4775bc71dbdd44E(a, b);
    wasm.__wbindgen_free(a, 1);
    wasm.__wbindgen_free(b, 1);
    return wasm.memory.buffer;
}}
let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {{
    wasmInstance = instance;
    wasm = instance.exports;
    wasm.__wbindgen_start();
    return wasm;
}}
async function __wbg_init(module_or_path) {{
    if (wasm !== undefined) return wasm;
    if (module_or_path.headers.get('Content-Type') !== 'application/wasm') {{}}
    module_or_path = new URL('app-h_bg.wasm', import.meta.url);
}}
"
        )
    }

    /// The short export names of [`glue`]: the exports it reads, in the wasm's order.
    const SHORT_EXPORTS: [(&str, &str); 5] = [
        (
            "_ZN12wasm_bindgen7convert8closures1_6invoke17h0a4775bc71dbdd44E",
            "a",
        ),
        ("__wbindgen_malloc", "b"),
        ("__wbindgen_externrefs", "c"),
        ("__wbindgen_free", "d"),
        ("__wbindgen_start", "e"),
    ];

    const IMPORT0: &str = "        __wbg_done_57e08d0be6e30c02: function(arg0) {
            const ret = arg0.done;
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
        },
";

    #[test]
    fn the_glue_and_the_wasm_get_the_same_short_names() {
        let wasm = module(&LONG, false);
        let out = shorten(&wasm, &glue(IMPORT0), "./__wasm_split-h.js", &[]).unwrap();
        wasmparser::validate(&out.wasm).unwrap();
        let imports = wasm_imports(&out.wasm).unwrap();
        let imports: Vec<(&str, &str)> = imports
            .iter()
            .map(|(m, n)| (m.as_str(), n.as_str()))
            .collect();
        // Modules and names in the order the wasm imports them, names counted per module.
        assert_eq!(imports, [("a", "a"), ("b", "a"), ("a", "b"), ("b", "b"),]);
        let expected = glue(IMPORT0)
            .replace("__wbg_done_57e08d0be6e30c02:", "a:")
            .replace("__wbindgen_init_externref_table:", "b:")
            .replace("\"./app-h_bg.js\": import0", "\"a\": import0")
            .replace("\"./__wasm_split-h.js\": import", "\"b\": import");
        let expected = SHORT_EXPORTS.iter().fold(expected, |glue, (long, short)| {
            glue.replace(&format!("wasm.{long}"), &format!("wasm.{short}"))
        });
        assert_eq!(out.glue, expected);
        // The import lines and the glue's exports are untouched.
        assert!(
            out.glue
                .starts_with("import * as import1 from \"./__wasm_split-h.js\"\n")
        );
        assert!(
            out.glue
                .contains("export function run() {\n    wasm.b(1);\n}\n")
        );
        assert!(out.glue.contains("    wasm.d(a, 1);\n    wasm.d(b, 1);\n"));
        assert!(out.glue.contains("    wasm.e();\n    return wasm;\n"));
        assert!(out.glue.contains("const table = wasm.c;"));
        // What the chunks' loader reads, what the glue does not read, and the file names keep
        // their names.
        assert!(out.glue.contains("return wasm.memory.buffer;"));
        assert!(out.glue.contains("'app-h_bg.wasm'") && out.glue.contains("'application/wasm'"));
        let short: Vec<(String, String)> = SHORT_EXPORTS
            .iter()
            .map(|(l, s)| (l.to_string(), s.to_string()))
            .collect();
        assert_eq!(out.exports, short);
        let exports: Vec<String> = wasm_exports(&out.wasm)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            exports,
            [
                "main",
                "__wasm_split_shared0",
                "__indirect_function_table",
                "memory",
                "a",
                "b",
                "c",
                "d",
                "e"
            ]
        );
        // The view loaders: the stub and the chunks' loader export them under the wasm's names.
        assert_eq!(
            out.link,
            [
                ("__wasm_split_load_about_17739426489999002709", "a"),
                ("__wasm_split_load_run_3665143824928278038", "b")
            ]
            .map(|(l, s)| (l.to_string(), s.to_string()))
        );
        // A module the glue does not provide is an error, not a name left long.
        let e = shorten(
            &module(&LONG, true),
            &glue(IMPORT0),
            "./__wasm_split-h.js",
            &[],
        )
        .unwrap_err();
        assert!(e.contains("the module \"__wasm_split\""), "{e}");
    }

    #[test]
    fn a_name_the_glue_does_not_have_once_as_a_key_fails_the_build() {
        let wasm = module(&LONG, false);
        let fails = |glue: &str| shorten(&wasm, glue, "./__wasm_split-h.js", &[]).unwrap_err();
        // Missing.
        let e = fails(&glue(
            &IMPORT0.replace("__wbg_done_57e08d0be6e30c02", "__wbg_done_0"),
        ));
        assert!(
            e.contains("`__wbg_done_57e08d0be6e30c02`") && e.contains("0 time(s) as a key"),
            "{e}"
        );
        // Twice a key.
        let twice = format!("{IMPORT0}        __wbg_done_57e08d0be6e30c02: null,\n");
        assert!(fails(&glue(&twice)).contains("2 time(s) as a key"));
        // Used elsewhere in the glue: renaming the key would break that use.
        let used = glue(IMPORT0).replace(
            "function later() {}",
            "function later() { return import0.__wbg_done_57e08d0be6e30c02; }",
        );
        assert!(fails(&used).contains("2 time(s) in all"));
        // A key further in (inside a function's body) is not one of the object's.
        let nested = IMPORT0.replace(
            "        __wbg_done_57e08d0be6e30c02: function(arg0) {",
            "        x: {\n            __wbg_done_57e08d0be6e30c02: function(arg0) {",
        );
        assert!(fails(&glue(&nested)).contains("0 time(s) as a key"));
        // A module the returned object does not name.
        let e = fails(&glue(IMPORT0).replace("\"./app-h_bg.js\": import0,", ""));
        assert!(e.contains("\"./app-h_bg.js\""), "{e}");
        // A returned object of another shape.
        let e = fails(&glue(IMPORT0).replace("\"./app-h_bg.js\": import0,", "...import0,"));
        assert!(e.contains("`...import0,`"), "{e}");
        // No `__wbg_get_imports`.
        let e = fails(&glue(IMPORT0).replace("__wbg_get_imports", "getImports"));
        assert!(e.contains("__wbg_get_imports"), "{e}");
    }

    #[test]
    fn the_export_section_gets_the_new_names_and_every_other_section_is_kept() {
        for others in [false, true] {
            let wasm = module(&LONG, others);
            let out =
                rename_exports(&wasm, |name| format!("{}{}", name.len(), &name[..1])).unwrap();
            wasmparser::validate(&out).expect("still a valid module");
            let (before, after) = (wasm_exports(&wasm).unwrap(), wasm_exports(&out).unwrap());
            assert_eq!(before.len(), EXPORTS.len());
            // The same kinds, in the same order, under the new names.
            for ((name, kind), (new, new_kind)) in before.iter().zip(&after) {
                assert_eq!(*new, format!("{}{}", name.len(), &name[..1]));
                assert_eq!(kind, new_kind);
            }
            let (before, after) = (sections(&wasm).unwrap(), sections(&out).unwrap());
            assert_eq!(before.len(), after.len());
            for ((id, a), (id2, b)) in before.iter().zip(&after) {
                assert_eq!(id, id2);
                if *id != 7 {
                    assert_eq!(a, b, "section {id}");
                }
            }
            assert!(out.len() < wasm.len() - 100);
            let same = rename_exports(&wasm, str::to_string).unwrap();
            assert_eq!(same, wasm);
        }
        assert!(rename_exports(b"\0asm\x0d\0\x01\0", str::to_string).is_err());
        let wasm = module(&LONG, false);
        assert!(rename_exports(&wasm[..wasm.len() - 1], str::to_string).is_err());
    }

    #[test]
    fn an_export_the_glue_reaches_other_than_as_wasm_dot_name_fails_the_build() {
        let wasm = module(&LONG, false);
        let shorten = |glue: &str, read: &[&str]| {
            let read: Vec<String> = read.iter().map(|n| n.to_string()).collect();
            shorten(&wasm, glue, "./__wasm_split-h.js", &read)
        };
        let fails = |glue: &str| shorten(glue, &[]).unwrap_err();
        let later = |body: &str| {
            glue(IMPORT0).replace(
                "function later() {}",
                &format!("function later() {{ {body} }}"),
            )
        };
        // Destructured, or read by a computed name: the glue's uses of `wasm` are known.
        let e = fails(&later("const { __wbindgen_free } = wasm;"));
        assert!(
            e.contains("as `function later() { const { __wbindgen_free } = wasm; }`"),
            "{e}"
        );
        let e = fails(&later("return wasm['__wbindgen_free'];"));
        assert!(e.contains("not as `wasm.<name>`"), "{e}");
        // The instance's exports read a second time.
        let e = fails(&later("wasmInstance.exports.__wbindgen_free(1, 2);"));
        assert!(
            e.contains("2 time(s), not once as `wasm = instance.exports;`"),
            "{e}"
        );
        // The name elsewhere (a string, another object's property).
        for body in ["return '__wbindgen_free';", "return other.__wbindgen_free;"] {
            let e = fails(&later(body));
            assert!(
                e.contains("the export `__wbindgen_free` 3 time(s), 2 of them as `wasm.__wbindgen_free`, and 1 time(s) otherwise"),
                "{e}"
            );
        }
        // A JS function of the export's name (wasm-bindgen's wrapper of a closure's invoker):
        // its declaration and calls stay, its reads of the export are renamed.
        let invoker = "_ZN12wasm_bindgen7convert8closures1_6invoke17h0a4775bc71dbdd44E";
        let wrapper = glue(IMPORT0).replace(
            "function later() {}",
            &format!("function later() {{ return {invoker}(1, 2); }}\nfunction {invoker}(a, b) {{\n    wasm.{invoker}(a, b);\n}}"),
        );
        let wrapper = wrapper.replace(
            "function later() {",
            &format!("function later() {{ makeMutClosure(0, 1, {invoker});"),
        );
        let out = shorten(&wrapper, &[]).unwrap();
        assert!(
            out.glue
                .contains(&format!("makeMutClosure(0, 1, {invoker});"))
        );
        assert!(out.glue.contains(&format!("{invoker}); return {invoker}(1, 2); }}\nfunction {invoker}(a, b) {{\n    wasm.a(a, b);\n}}")));
        assert!(out.glue.contains("    wasm.a(a, b);\n    wasm.d(a, 1);\n"));
        // Without the function, the call is a use the rename would break.
        let e = fails(&later(&format!("return {invoker}(1, 2);")));
        assert!(e.contains("2 time(s), 1 of them as"), "{e}");
        // With it, the name read as a property of something else still is.
        let e = fails(&wrapper.replace(
            &format!("return {invoker}(1, 2);"),
            &format!("return x.{invoker}(1, 2);"),
        ));
        assert!(e.contains("and 1 time(s) otherwise"), "{e}");
        let e = fails(&wrapper.replace(
            &format!("return {invoker}(1, 2);"),
            &format!("return {{ {invoker}: 1 }};"),
        ));
        assert!(e.contains("and 1 time(s) otherwise"), "{e}");
        // An export the module does not have.
        let e = fails(&later("wasm.__wbindgen_gone();"));
        assert!(
            e.contains("reads `wasm.__wbindgen_gone`, which the main module does not export"),
            "{e}"
        );
        // What the chunks' loader reads keeps its name, and must be exported.
        let out = shorten(&glue(IMPORT0), &["__wbindgen_free"]).unwrap();
        assert!(out.glue.contains("    wasm.__wbindgen_free(a, 1);\n"));
        assert!(!out.exports.iter().any(|(n, _)| n == "__wbindgen_free"));
        assert_eq!(
            out.exports.last().unwrap(),
            &("__wbindgen_start".to_string(), "d".to_string())
        );
        let e = shorten(&glue(IMPORT0), &["__wasm_split_shared1"]).unwrap_err();
        assert!(e.contains("does not export `__wasm_split_shared1`"), "{e}");
        // So must the table and the memory.
        let renamed =
            rename_exports(&wasm, |n| n.replace("__indirect_function_table", "table")).unwrap();
        let e = super::shorten(&renamed, &glue(IMPORT0), "./__wasm_split-h.js", &[]).unwrap_err();
        assert!(
            e.contains("does not export `__indirect_function_table`"),
            "{e}"
        );
    }

    /// wasm-split's loader, where it reads the main instance's exports, and the stub's read.
    const LOADER: &str = "import { initSync } from \"./app-h.js\";
function getSharedImports() {
    if (sharedImports === undefined) {
        sharedImports = { __wasm_split: {  } };
        const { __indirect_function_table, __wasm_split_shared0, memory,  } = initSync(undefined, undefined);
        Object.assign(sharedImports.__wasm_split, { __indirect_function_table, __wasm_split_shared0, memory,  });
    }
}
function later(name) {
    initSync(undefined, undefined).__indirect_function_table.get(index)(data, false);
}
";

    #[test]
    fn the_exports_the_chunks_loader_reads_are_found_or_the_build_fails() {
        assert_eq!(
            exports_read(LOADER).unwrap(),
            [
                "__indirect_function_table",
                "__wasm_split_shared0",
                "memory",
                "__indirect_function_table"
            ]
        );
        let fails = |js: &str| exports_read(js).unwrap_err();
        for other in [
            "const exports = initSync(undefined, undefined);",
            "initSync(module).memory;",
            "return initSync(undefined, undefined)[name];",
            "const {  } = initSync(undefined, undefined);",
            "const { a: b } = initSync(undefined, undefined);",
        ] {
            let e = fails(&format!("{LOADER}{other}\n"));
            assert!(e.contains(&format!("as `{other}`")), "{other}: {e}");
        }
        let e = fails("import { initSync } from \"./app-h.js\";\n");
        assert!(e.contains("never calls"), "{e}");
        let e = fails(
            "import { initSync, x } from \"./app-h.js\";\ninitSync(undefined, undefined).a;\n",
        );
        assert!(e.contains("import { initSync, x }"), "{e}");
    }

    /// Imported functions as wasm-bindgen writes them, returning a string, an optional string,
    /// one inside `handleError`, and one that uses `ptr1` after (left as it is).
    const RETURNS: &str = "    const import0 = {
        a: function(arg0, arg1) {
            const ret = arg1.href;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        b: function(arg0, arg1) {
            const ret = arg1.title;
            var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            var len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        c: function() { return handleError(function (arg0, arg1) {
            const ret = arg1.hash;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        }, arguments); },
        d: function(arg0, arg1) {
            const ret = arg1.href;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
            seen.push(ptr1);
        },
    };
";

    /// What the four functions of `glue` write into the wasm's memory (and what `d` saw), in
    /// node, with wasm-bindgen's helpers standing in for the real ones.
    fn run_in_node(glue: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let script = format!(
            "let WASM_VECTOR_LEN = 0;
const memory = new DataView(new ArrayBuffer(64));
function getDataViewMemory0() {{ return memory; }}
const wasm = {{ __wbindgen_malloc: 'malloc', __wbindgen_realloc: 'realloc' }};
function passStringToWasm0(s, malloc, realloc) {{
    if (malloc !== 'malloc' || realloc !== 'realloc') throw new Error('allocators');
    WASM_VECTOR_LEN = s.length * 3;
    return 1000 + s.length;
}}
function isLikeNone(x) {{ return x === undefined || x === null; }}
function handleError(f, args) {{ return f.apply(this, args); }}
const seen = [];
{glue}
import0.a(0, {{ href: 'https://x/' }});
import0.b(8, {{ title: null }});
import0.b(16, {{ title: 'ti' }});
import0.c(24, {{ hash: '#h' }});
import0.d(32, {{ href: 'abcd' }});
import0.b(40, {{}});
console.log(JSON.stringify([Array.from(new Int32Array(memory.buffer)), seen]));
"
        );
        let path = dir.path().join("glue.js");
        std::fs::write(&path, script).unwrap();
        let out = std::process::Command::new("node")
            .arg(&path)
            .output()
            .expect("node (installed with npm, which `cargo xtask setup` needs) runs the glue");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn string_returns_share_one_helper_that_writes_the_same_memory() {
        let out = shared_string_returns(RETURNS).unwrap();
        assert_eq!(
            out.matches("            sfPassString(arg0, ret);\n")
                .count(),
            2
        );
        assert_eq!(
            out.matches("            sfPassString(arg0, ret, 1);\n")
                .count(),
            1
        );
        // The one that reads `ptr1` afterwards is kept.
        assert_eq!(out.matches("passStringToWasm0(ret, ").count(), 1);
        assert!(out.contains("            seen.push(ptr1);\n"));
        assert!(out.contains("\nfunction sfPassString(at, s, optional) {\n"));
        assert!(out.contains("optional && isLikeNone(s) ? 0 : passStringToWasm0(s, "));
        assert!(out.len() < RETURNS.len());
        // What the wasm finds in its memory is the same, byte for byte.
        let (before, after) = (run_in_node(RETURNS), run_in_node(&out));
        assert_eq!(before, after);
        assert!(
            before.contains("[[1010,30,0,30,1002,6,1002,6,1004,12,0,12,0,0,0,0],[1004]]"),
            "{before}"
        );
        // Without an optional string, `isLikeNone` (which the glue then lacks) is not used.
        let plain = RETURNS.replace("var ptr1 = isLikeNone(ret) ? 0 : ", "var ptr1 = ");
        let out = shared_string_returns(&plain).unwrap();
        assert!(!out.contains("isLikeNone(s)"));
    }

    #[test]
    fn string_returns_of_another_shape_fail_the_build() {
        // The lines changed (here the address without `>>> 0`): nothing matches any more.
        let changed = RETURNS.replace("(arg0 >>> 0)", "arg0");
        let e = shared_string_returns(&changed).unwrap_err();
        assert!(e.contains("has its output changed?"), "{e}");
        // No string returned at all: nothing to do.
        let none = "    const import0 = {\n        a: function() {},\n    };\n";
        assert_eq!(shared_string_returns(none).unwrap(), none);
        assert!(shared_string_returns("function sfPassString() {}\n").is_err());
    }
}

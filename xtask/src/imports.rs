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
}

/// Short import names for the main module `wasm` and its glue (wasm-bindgen's un-minified JS);
/// `link_module` is the module name the wasm imports the view loaders from
/// (`./__wasm_split-<hash>.js`).
pub fn shorten(wasm: &[u8], glue: &str, link_module: &str) -> Result<Shortened, String> {
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
    Ok(Shortened {
        wasm,
        glue: out,
        link,
    })
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
    let uses: Vec<usize> = glue
        .match_indices(name)
        .map(|(i, _)| i)
        .filter(|&i| {
            let before = glue[..i].chars().next_back();
            let after = glue[i + name.len()..].chars().next();
            !before.is_some_and(is_identifier_char) && !after.is_some_and(is_identifier_char)
        })
        .collect();
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
            // A memory of its own (exported, as wasm-bindgen's is) for the data section.
            let mut memories = MemorySection::new();
            memories.memory(MemoryType {
                minimum: 1,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            });
            m.section(&memories);
        }
        let mut exports = ExportSection::new();
        exports.export("run", ExportKind::Func, imports.len() as u32);
        exports.export("memory", ExportKind::Memory, 0);
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
"
        )
    }

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
        let out = shorten(&wasm, &glue(IMPORT0), "./__wasm_split-h.js").unwrap();
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
        assert_eq!(out.glue, expected);
        // The import lines and the glue's exports are untouched.
        assert!(
            out.glue
                .starts_with("import * as import1 from \"./__wasm_split-h.js\"\n")
        );
        assert!(out.glue.contains("wasm.__wbindgen_malloc(1)"));
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
        let e = shorten(&module(&LONG, true), &glue(IMPORT0), "./__wasm_split-h.js").unwrap_err();
        assert!(e.contains("the module \"__wasm_split\""), "{e}");
    }

    #[test]
    fn a_name_the_glue_does_not_have_once_as_a_key_fails_the_build() {
        let wasm = module(&LONG, false);
        let fails = |glue: &str| shorten(&wasm, glue, "./__wasm_split-h.js").unwrap_err();
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

//! Exports nothing calls, taken out of the main module and the glue before wasm-opt, which then
//! drops the code only they reached (issue 13: bytes of a first load).
//!
//! leptos turns on server_fn's `browser` feature, which brings `wasm-streams` and its three
//! `#[wasm_bindgen]` classes: JS classes in the glue and `intounderlying*` exports in the wasm,
//! there for a JavaScript caller that would wrap a Rust stream. This app has no server functions
//! and no JavaScript of its own that constructs them; the Rust side never hands one out either
//! (the glue would then import a `__wrap` for it). Unexported, they cost nothing: 4.8 KB of wasm
//! before compression and 1.2 KB of the bundled glue.
//!
//! Each step checks its own work and stops the build with a sentence when wasm-bindgen's output
//! no longer has the expected shape, rather than shipping a page that half-works.

/// The glue's classes that no caller uses (see the module documentation).
pub const UNUSED_CLASSES: [&str; 3] = [
    "IntoUnderlyingByteSource",
    "IntoUnderlyingSink",
    "IntoUnderlyingSource",
];

/// The glue without the classes' definitions and finalization registries. Fails when a class is
/// not found in the shape wasm-bindgen writes, or when anything else in the glue still names it.
pub fn drop_classes(js: &str, classes: &[&str]) -> Result<String, String> {
    let mut js = js.to_string();
    for class in classes {
        let shape = |what: &str| {
            format!(
                "the glue's {what} of {class} is not where wasm-bindgen writes it: update \
                 xtask/src/unexport.rs for this wasm-bindgen version"
            )
        };
        let start = js
            .find(&format!("export class {class} {{"))
            .ok_or_else(|| shape("class"))?;
        let last = format!(
            "if (Symbol.dispose) {class}.prototype[Symbol.dispose] = {class}.prototype.free;\n"
        );
        let end = js[start..]
            .find(&last)
            .map(|i| start + i + last.len())
            .ok_or_else(|| shape("end of the class"))?;
        js.replace_range(start..end, "");
        let registry = format!("const {class}Finalization = ");
        let start = js
            .find(&registry)
            .ok_or_else(|| shape("finalization registry"))?;
        let end = js[start..]
            .find(";\n")
            .map(|i| start + i + 2)
            .ok_or_else(|| shape("end of the finalization registry"))?;
        js.replace_range(start..end, "");
        let lower = class.to_ascii_lowercase();
        if js.contains(class) || js.contains(&lower) {
            return Err(format!(
                "the glue still uses {class} after its class was taken out: it is not unused"
            ));
        }
    }
    Ok(js)
}

/// The exports of `classes` (`<class>_<method>` and `__wbg_<class>_free`, lower case, as
/// wasm-bindgen names them), taken out of `wasm`'s export section; every other byte is kept.
/// Returns the module and the names taken out; fails when a class has no export at all.
pub fn drop_exports(wasm: &[u8], classes: &[&str]) -> Result<(Vec<u8>, Vec<String>), String> {
    let prefixes: Vec<(String, String)> = classes
        .iter()
        .map(|c| {
            let lower = c.to_ascii_lowercase();
            (format!("{lower}_"), format!("__wbg_{lower}_free"))
        })
        .collect();
    let unused = |name: &str| {
        prefixes
            .iter()
            .any(|(method, free)| name.starts_with(method.as_str()) || name == free)
    };
    let dropped: Vec<String> = crate::imports::wasm_exports(wasm)?
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| unused(name))
        .collect();
    let out = crate::imports::edit_exports(wasm, |name| (!unused(name)).then(|| name.to_string()))?;
    for ((method, _), class) in prefixes.iter().zip(classes) {
        if !dropped.iter().any(|n| n.starts_with(method.as_str())) {
            return Err(format!(
                "the main module exports nothing of {class}: update xtask/src/unexport.rs"
            ));
        }
    }
    Ok((out, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_leb(out: &mut Vec<u8>, mut value: u32) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A module with a type, one function body and the given exports (all of function 0).
    fn module(exports: &[&str]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]); // type () -> ()
        m.extend_from_slice(&[3, 2, 1, 0]); // one function of type 0
        let mut body = Vec::new();
        put_leb(&mut body, exports.len() as u32);
        for name in exports {
            put_leb(&mut body, name.len() as u32);
            body.extend_from_slice(name.as_bytes());
            body.extend_from_slice(&[0, 0]);
        }
        m.push(7);
        put_leb(&mut m, body.len() as u32);
        m.extend_from_slice(&body);
        m.extend_from_slice(&[10, 4, 1, 2, 0, 0x0b]); // code: an empty body
        m
    }

    #[test]
    fn only_the_classes_exports_leave_the_module() {
        let long = "x".repeat(200); // a name whose length takes two LEB bytes
        let wasm = module(&[
            "memory_grow",
            "intounderlyingsink_write",
            "__wbg_intounderlyingsink_free",
            &long,
            "intounderlyingsource_pull",
            "__wbindgen_malloc",
        ]);
        let (out, dropped) =
            drop_exports(&wasm, &["IntoUnderlyingSink", "IntoUnderlyingSource"]).unwrap();
        assert_eq!(
            dropped,
            [
                "intounderlyingsink_write",
                "__wbg_intounderlyingsink_free",
                "intounderlyingsource_pull"
            ]
        );
        assert_eq!(out, module(&["memory_grow", &long, "__wbindgen_malloc"]));
        // A class the module does not export stops the build.
        let err = drop_exports(&out, &["IntoUnderlyingSink"]).unwrap_err();
        assert!(
            err.contains("exports nothing of IntoUnderlyingSink"),
            "{err}"
        );
        assert!(drop_exports(b"\0asm\x02\0\0\0", &[]).is_err());
        assert!(drop_exports(&wasm[..wasm.len() - 3], &[]).is_err());
    }

    const GLUE: &str = "let wasm;\n\
        export class IntoUnderlyingSink {\n    free() {\n        wasm.__wbg_intounderlyingsink_free(this.__wbg_ptr, 0);\n    }\n}\n\
        if (Symbol.dispose) IntoUnderlyingSink.prototype[Symbol.dispose] = IntoUnderlyingSink.prototype.free;\n\
        export function run() { return 1; }\n\
        const IntoUnderlyingSinkFinalization = (typeof FinalizationRegistry === 'undefined')\n    ? { register: () => {}, unregister: () => {} }\n    : new FinalizationRegistry(ptr => wasm.__wbg_intounderlyingsink_free(ptr, 1));\n\
        const other = 2;\n";

    #[test]
    fn the_glue_loses_the_classes_and_nothing_else() {
        assert_eq!(
            drop_classes(GLUE, &["IntoUnderlyingSink"]).unwrap(),
            "let wasm;\nexport function run() { return 1; }\nconst other = 2;\n"
        );
        // Still used elsewhere: not unused, the build stops.
        let used = format!("{GLUE}new IntoUnderlyingSink();\n");
        let err = drop_classes(&used, &["IntoUnderlyingSink"]).unwrap_err();
        assert!(err.contains("not unused"), "{err}");
        // A glue of another shape: the build stops rather than guess.
        let err = drop_classes(GLUE, &["IntoUnderlyingSource"]).unwrap_err();
        assert!(err.contains("update xtask/src/unexport.rs"), "{err}");
    }
}

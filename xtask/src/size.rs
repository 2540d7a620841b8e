//! Release size report: every `.wasm`, `.js`, `.css` and `.html` in dist/, raw and gzip; the
//! pre-compressed copies of the wasm that the loaders fetch (see xtask/src/wasm.rs); and what a
//! first load fetches: everything but the chunks of the views loaded on demand and their loader.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

pub fn gzip_len(bytes: &[u8]) -> usize {
    gzip(bytes).len()
}

/// Writes the compressed copies the loaders fetch (xtask/src/wasm.rs) next to the `.wasm` files of
/// `dist`, so a first load is small whether or not the host compresses: `<main>_bg.wasm.lzma` for
/// the main module, which the page's own decoder reads as it arrives ([`lzma`]), and
/// `<chunk>.wasm.gz` for each chunk, which the browser's `DecompressionStream` reads (zopfli:
/// about 4 % smaller than gzip -9). Both are slow to make, so each distinct wasm is compressed
/// once and kept in `cache` under the hash of its bytes: not under its name, which need not
/// change when only a later step (wasm-opt's flags, the exports taken out) changed the module.
/// Names the settings of [`lzma`] and [`zopfli_gzip`] in the cache's file names: a copy made with
/// other settings is not found.
const COPY_SETTINGS: &str = "lzma9-pb0-lc4.zopfli5";

pub fn precompress(dist: &Path, cache: &Path) -> Result<(), String> {
    std::fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    for entry in
        std::fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?
    {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("wasm") {
            continue;
        }
        let mut name = path.file_name().unwrap().to_os_string();
        let main = name.to_string_lossy().ends_with("_bg.wasm");
        name.push(if main { ".lzma" } else { ".gz" });
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        let cached = cache.join(format!(
            "{COPY_SETTINGS}-{}-{}",
            crate::wasm::short_hash(&bytes),
            name.to_string_lossy()
        ));
        if !cached.is_file() {
            let packed = if main {
                lzma(&bytes)?
            } else {
                zopfli_gzip(&bytes)?
            };
            let tmp = cached.with_extension("tmp");
            std::fs::write(&tmp, packed).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &cached).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&cached, path.with_file_name(&name))
            .map_err(|e| format!("cannot copy {}: {e}", cached.display()))?;
    }
    Ok(())
}

/// `bytes` as an "LZMA alone" file (`xz --format=lzma`) with the decoded size in its header, as
/// the page's decoder (xtask/src/lzma.js) reads it: the strongest settings (preset 9, longest
/// matches), a dictionary as large as the file, no position bits in the literal and match
/// contexts (`pb = 0`: wasm is byte code, not aligned words; 0.2 % smaller than the default 2)
/// and four bytes of literal context (`lc = 4`, the most with `lp = 0`: about 0.1 % smaller than
/// the default 3; the decoder's table for it is 24 KB). Change [`COPY_SETTINGS`] with these.
pub fn lzma(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use lzma_rust2::{LzmaOptions, LzmaWriter};
    let mut options = LzmaOptions::with_preset(9);
    options.pb = 0;
    options.lc = 4;
    options.nice_len = LzmaOptions::NICE_LEN_MAX;
    options.dict_size = (bytes.len() as u32).next_power_of_two().max(4096);
    let mut writer = LzmaWriter::new_use_header(Vec::new(), &options, Some(bytes.len() as u64))
        .map_err(|e| format!("lzma: {e}"))?;
    writer.write_all(bytes).map_err(|e| format!("lzma: {e}"))?;
    writer.finish().map_err(|e| format!("lzma: {e}"))
}

/// gzip with zopfli: any gzip decoder (the browser's DecompressionStream) reads it.
pub fn zopfli_gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let options = zopfli::Options {
        iteration_count: std::num::NonZeroU64::new(5).unwrap(),
        ..zopfli::Options::default()
    };
    let mut out = Vec::new();
    zopfli::compress(options, zopfli::Format::Gzip, bytes, &mut out)
        .map_err(|e| format!("zopfli: {e}"))?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

pub fn report(dist: &Path) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dist)
        .map_err(|e| format!("cannot read {}: {e}", dist.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js" | "css" | "html" | "gz" | "lzma")
            )
        })
        .collect();
    entries.sort();
    println!("release size ({}):", dist.display());
    // What a first load fetches whatever the host does: the page, its JS and CSS as they are,
    // the main module as its smallest pre-compressed copy (or plain when there is none). The
    // chunks (every other `.wasm`) are fetched when their view opens.
    let (mut raw_total, mut gz_total) = (0, 0);
    let (mut first_load, mut first_requests) = (0, 0);
    let (mut main_raw, mut main_wire) = (0, None::<usize>);
    let (mut chunks, mut chunks_raw, mut chunks_wire) = (0, 0, 0);
    for path in entries {
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let main = name.ends_with("_bg.wasm") || name.ends_with("_bg.wasm.lzma");
        if name.ends_with(".wasm.gz") || name.ends_with(".wasm.lzma") {
            println!(
                "  {:<48} {:>9} bytes (pre-compressed copy the loader fetches)",
                name,
                bytes.len()
            );
            if main {
                main_wire = Some(main_wire.map_or(bytes.len(), |w| w.min(bytes.len())));
            } else {
                chunks_wire += bytes.len();
            }
            continue;
        }
        let gz = gzip_len(&bytes);
        raw_total += bytes.len();
        gz_total += gz;
        if main {
            main_raw = bytes.len();
        } else if name.ends_with(".wasm") {
            chunks += 1;
            chunks_raw += bytes.len();
        } else if name.starts_with("__wasm_split-") {
            // The chunks' loader: fetched with the first chunk (xtask/src/wasm.rs, `link_stub`).
            chunks_wire += bytes.len();
        } else {
            first_load += bytes.len();
            first_requests += 1;
        }
        println!(
            "  {:<48} {:>9} bytes raw {:>9} bytes gzip",
            name,
            bytes.len(),
            gz
        );
    }
    println!(
        "  {:<48} {:>9} bytes raw {:>9} bytes gzip",
        "total", raw_total, gz_total
    );
    println!(
        "  {:<48} {:>9} bytes raw (main module {main_raw}, {chunks} chunks {chunks_raw})",
        "wasm",
        main_raw + chunks_raw
    );
    println!(
        "  {:<48} {:>9} bytes in {} requests (host not compressing: page, JS, CSS raw; main wasm pre-compressed)",
        "first load on the wire",
        first_load + main_wire.unwrap_or(main_raw),
        first_requests + 1
    );
    if chunks > 0 {
        println!(
            "  {:<48} {:>9} bytes pre-compressed, fetched when their view opens",
            format!("{chunks} chunks and their loader on demand"),
            chunks_wire
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A later step (the exports taken out, wasm-opt's flags) changes a module whose name, the
    /// hash of the cargo output, stays: its compressed copies must be made again, not found in
    /// the cache under the old name (the page would fetch a copy of the old module).
    #[test]
    fn a_changed_module_under_the_same_name_gets_fresh_copies() {
        let dist = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let main = dist.path().join("app-0123_bg.wasm");
        let chunk = dist.path().join("chunk_1-0123.wasm");
        let unpack_gz = |file: &Path| {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(file).unwrap())
                .read_to_end(&mut out)
                .unwrap();
            out
        };
        for version in [b"first version".as_slice(), b"second, longer version"] {
            std::fs::write(&main, version).unwrap();
            std::fs::write(&chunk, version).unwrap();
            precompress(dist.path(), cache.path()).unwrap();
            let packed = std::fs::read(dist.path().join("app-0123_bg.wasm.lzma")).unwrap();
            assert_eq!(packed, lzma(version).unwrap());
            assert_eq!(
                unpack_gz(&dist.path().join("chunk_1-0123.wasm.gz")),
                version
            );
        }
    }

    /// Inputs of every kind the decoder meets: empty, one byte, incompressible, long runs
    /// (long matches and repeated distances), text, and wasm-like byte code, from a seeded
    /// generator so that a failure is reproducible.
    fn cases() -> Vec<Vec<u8>> {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut cases = vec![Vec::new(), vec![0], vec![255; 1]];
        for n in [17, 300, 5_000, 70_000] {
            cases.push((0..n).map(|_| next() as u8).collect());
        }
        cases.push(vec![7u8; 100_000]);
        cases.push(
            (0..3_000u32)
                .flat_map(|i| format!("item {} of {}; ", i % 977, i % 13).into_bytes())
                .collect(),
        );
        for n in [1_000, 40_000, 300_000] {
            // Byte code: a few opcodes, small immediates, repeated sequences at random distances.
            let mut v: Vec<u8> = Vec::with_capacity(n);
            while v.len() < n {
                let r = next();
                if r % 4 == 0 && v.len() > 64 {
                    let back = 1 + (r >> 8) as usize % v.len().min(50_000);
                    let len = 2 + (r >> 32) as usize % 300;
                    let start = v.len() - back;
                    for i in 0..len {
                        v.push(v[start + i]);
                    }
                } else {
                    v.push([0x20, 0x21, 0x41, 0x28, 0x36, 0x0b, 0x10][(r >> 16) as usize % 7]);
                    v.push((r >> 40) as u8 & 0x7f);
                }
            }
            v.truncate(n);
            cases.push(v);
        }
        cases
    }

    /// The page's decoder as the page has it (lzma.js minified by the build's own step) under
    /// node, fed each file in pieces of its `piece` bytes as a download arrives: the decoded
    /// bytes, or the decoder's error.
    fn decode_in_node(dir: &Path, files: &[(Vec<u8>, usize)]) -> Vec<Result<Vec<u8>, String>> {
        let mut script = crate::wasm::minify_decoder(dir).unwrap_or_else(|e| {
            panic!("{e}\n(run the tests with `cargo xtask test`, which puts esbuild on PATH)")
        });
        script.push_str(
            r#"
const fs = require('fs');
const [dir, n] = [process.argv[2], Number(process.argv[3])];
for (let k = 0; k < n; k++) {
    const file = fs.readFileSync(`${dir}/${k}.lzma`);
    const piece = Number(fs.readFileSync(`${dir}/${k}.piece`, 'utf8'));
    try {
        const d = sfLzma();
        const parts = [];
        for (let at = 0; at < file.length; at += piece) parts.push(d.push(file.subarray(at, at + piece)));
        parts.push(d.end());
        fs.writeFileSync(`${dir}/${k}.out`, Buffer.concat(parts));
    } catch (e) {
        fs.writeFileSync(`${dir}/${k}.err`, String(e.message));
    }
}
"#,
        );
        let js = dir.join("decode.js");
        std::fs::write(&js, script).unwrap();
        for (k, (file, piece)) in files.iter().enumerate() {
            std::fs::write(dir.join(format!("{k}.lzma")), file).unwrap();
            std::fs::write(dir.join(format!("{k}.piece")), piece.to_string()).unwrap();
        }
        let status = std::process::Command::new("node")
            .arg(&js)
            .arg(dir)
            .arg(files.len().to_string())
            .status()
            .expect("node (installed with npm, which `cargo xtask setup` needs) runs the decoder");
        assert!(status.success(), "node failed: {status}");
        (0..files.len())
            .map(|k| match std::fs::read(dir.join(format!("{k}.out"))) {
                Ok(out) => Ok(out),
                Err(_) => Err(std::fs::read_to_string(dir.join(format!("{k}.err"))).unwrap()),
            })
            .collect()
    }

    #[test]
    fn the_pages_decoder_reads_what_the_build_writes_in_any_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let cases = cases();
        let mut files = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let packed = lzma(case).unwrap();
            // Whole, a byte at a time (the margin before each symbol), and odd network pieces.
            let piece = [usize::MAX, 1, 7, 1_000, 16_384][i % 5];
            files.push((packed, piece.min(1 << 30)));
        }
        for (i, (case, got)) in cases
            .iter()
            .zip(decode_in_node(dir.path(), &files))
            .enumerate()
        {
            let got = got.unwrap_or_else(|e| panic!("case {i} ({} bytes): {e}", case.len()));
            assert!(
                got == *case,
                "case {i} ({} bytes) decoded differently",
                case.len()
            );
        }
        // Smaller than the zopfli copy on byte code, which is what it is for.
        let code = cases.last().unwrap();
        assert!(lzma(code).unwrap().len() < zopfli_gzip(code).unwrap().len());
    }

    #[test]
    fn a_cut_or_damaged_copy_is_refused_not_decoded_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let text: Vec<u8> = cases().swap_remove(9);
        let packed = lzma(&text).unwrap();
        let cut = packed[..packed.len() - 40].to_vec();
        let mut flipped = packed.clone();
        let at = flipped.len() / 2;
        flipped[at] ^= 0x10;
        let mut no_size = packed.clone();
        no_size[5..13].fill(0xff);
        let got = decode_in_node(
            dir.path(),
            &[
                (cut, 4096),
                (flipped, 4096),
                (no_size, 4096),
                (packed[..10].to_vec(), 3),
            ],
        );
        for (what, got) in ["cut", "flipped", "no size", "header only"].iter().zip(got) {
            match got {
                Err(e) => assert!(
                    e.contains("the LZMA copy of the app is damaged"),
                    "{what}: {e}"
                ),
                Ok(out) => panic!("{what}: decoded {} bytes instead of refusing", out.len()),
            }
        }
    }

    #[test]
    fn the_zopfli_copy_is_plain_gzip_and_smaller() {
        let text: Vec<u8> = (0..2_000u32)
            .flat_map(|i| format!("item {} of {}; ", i % 977, i % 13).into_bytes())
            .collect();
        let gz = zopfli_gzip(&text).unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, text);
        assert!(
            gz.len() < gzip_len(&text),
            "{} vs {}",
            gz.len(),
            gzip_len(&text)
        );
    }
}

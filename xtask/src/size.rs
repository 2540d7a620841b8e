//! Release size report: every `.wasm`, `.js`, `.css` and `.html` in dist/, raw and gzip; the
//! pre-compressed copies of the wasm that the loaders fetch (see xtask/src/wasm.rs); and what a
//! first load fetches: everything but the chunks of the views loaded on demand.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

pub fn gzip_len(bytes: &[u8]) -> usize {
    gzip(bytes).len()
}

/// Writes `<name>.wasm.gz` next to every `.wasm` of `dist` (the main module and each chunk): the
/// loaders (xtask/src/wasm.rs) fetch it and decompresses it with the browser's `DecompressionStream`, so a first load is small
/// whether or not the host compresses. It is made with zopfli (about 4 % smaller than gzip -9,
/// and much slower), so each distinct wasm is compressed once and kept in `cache`
/// (the file names carry the build's hash).
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
        name.push(".gz");
        let cached = cache.join(&name);
        if !cached.is_file() {
            let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
            let gz = zopfli_gzip(&bytes)?;
            let tmp = cached.with_extension("tmp");
            std::fs::write(&tmp, gz).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &cached).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&cached, path.with_file_name(&name))
            .map_err(|e| format!("cannot copy {}: {e}", cached.display()))?;
    }
    Ok(())
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
                Some("wasm" | "js" | "css" | "html" | "gz" | "br")
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
        let main = name.ends_with("_bg.wasm") || name.ends_with("_bg.wasm.gz");
        if name.ends_with(".wasm.gz") || name.ends_with(".wasm.br") {
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
            format!("{chunks} chunks on demand"),
            chunks_wire
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

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

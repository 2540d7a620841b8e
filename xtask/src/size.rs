//! Release size report: every `.wasm` and `.js` in dist/, raw and gzip.

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

pub fn gzip_len(bytes: &[u8]) -> usize {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail").len()
}

pub fn report(dist: &Path) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dist)
        .map_err(|e| format!("cannot read {}: {e}", dist.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js" | "css" | "html")
            )
        })
        .collect();
    entries.sort();
    println!("release size ({}):", dist.display());
    let (mut raw_total, mut gz_total) = (0, 0);
    for path in entries {
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        let gz = gzip_len(&bytes);
        raw_total += bytes.len();
        gz_total += gz;
        println!(
            "  {:<48} {:>9} bytes raw {:>9} bytes gzip",
            path.file_name().unwrap().to_string_lossy(),
            bytes.len(),
            gz
        );
    }
    println!(
        "  {:<48} {:>9} bytes raw {:>9} bytes gzip",
        "total", raw_total, gz_total
    );
    Ok(())
}

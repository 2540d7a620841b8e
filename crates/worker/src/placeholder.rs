//! Is the generated app a placeholder? A static reading of `app.py`: it must import a model
//! library, name the model id, and its generation functions must not return a constant, random
//! noise or their own input. Heuristic by nature; each finding is a sentence for the report.

use std::collections::BTreeSet;

/// Top-level modules that run models locally.
pub const MODEL_LIBRARIES: &[&str] = &[
    "torch",
    "transformers",
    "diffusers",
    "tensorflow",
    "keras",
    "jax",
    "flax",
    "onnxruntime",
    "llama_cpp",
    "vllm",
    "sentence_transformers",
    "timm",
    "open_clip",
    "ultralytics",
    "whisper",
    "faster_whisper",
    "TTS",
    "audiocraft",
    "ctransformers",
    "optimum",
    "peft",
    "mlx",
    "mlx_lm",
    "paddle",
    "nemo",
    "kokoro",
    "insightface",
    "spandrel",
    "gguf",
    "exllamav2",
    "outetts",
    "parler_tts",
];

/// Calls that produce random values.
const NOISE: &[&str] = &[
    "np.random.",
    "numpy.random.",
    "torch.rand(",
    "torch.randn(",
    "torch.randint(",
    "random.random(",
    "random.randint(",
    "random.choice(",
    "random.uniform(",
    "os.urandom(",
    "effect_noise(",
    "secrets.token",
];

/// What the reading found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppReading {
    pub model_libraries: BTreeSet<String>,
    pub names_model_id: bool,
    /// Functions wired to Gradio events or decorated for the GPU.
    pub endpoints: Vec<String>,
    /// Why the app is a placeholder; empty when it is not one.
    pub reasons: Vec<String>,
    /// Uses a GPU (`spaces.GPU`, `cuda`).
    pub uses_gpu: bool,
}

impl AppReading {
    pub fn is_placeholder(&self) -> bool {
        !self.reasons.is_empty()
    }

    /// A real inference path: a model library, the model id, and no placeholder finding.
    pub fn has_inference_path(&self) -> bool {
        !self.model_libraries.is_empty() && self.names_model_id && self.reasons.is_empty()
    }
}

/// The line without its comment (quotes respected, roughly).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return &line[..i],
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    line
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn imported_modules(lines: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in lines {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("import ") {
            for part in rest.split(',') {
                let name = part.split_whitespace().next().unwrap_or("");
                out.insert(name.split('.').next().unwrap_or("").to_string());
            }
        } else if let Some(rest) = t.strip_prefix("from ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            out.insert(name.split('.').next().unwrap_or("").to_string());
        }
    }
    out.remove("");
    out
}

fn identifier_at(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(t.len());
    let id = &t[..end];
    (!id.is_empty() && !id.starts_with(|c: char| c.is_ascii_digit()) && id != "lambda")
        .then_some(id)
}

/// Names of functions passed to Gradio events / interfaces, or decorated with `spaces.GPU` or an
/// API decorator.
fn endpoint_names(text: &str, lines: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for pat in [
        ".click(",
        ".submit(",
        ".change(",
        ".input(",
        ".upload(",
        "Interface(",
        "ChatInterface(",
        "fn=",
    ] {
        let mut from = 0;
        while let Some(pos) = text[from..].find(pat) {
            let after = from + pos + pat.len();
            if let Some(id) = identifier_at(&text[after..]) {
                let name = id.rsplit('.').next().unwrap_or(id);
                out.insert(name.to_string());
            }
            from = after;
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if (t.starts_with("@spaces.GPU")
            || t.starts_with("@GPU")
            || t.contains(".api(") && t.starts_with('@'))
            && let Some(def) = lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.starts_with('@'))
            && let Some(name) = def_name(def)
        {
            out.insert(name.to_string());
        }
    }
    out
}

fn def_name(line: &str) -> Option<&str> {
    let t = line.trim();
    let rest = t
        .strip_prefix("async def ")
        .or_else(|| t.strip_prefix("def "))?;
    let end = rest.find('(')?;
    Some(rest[..end].trim())
}

struct Function {
    name: String,
    params: Vec<String>,
    body: Vec<String>,
}

fn functions(lines: &[&str]) -> Vec<Function> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(name) = def_name(lines[i]) else {
            i += 1;
            continue;
        };
        let base = indent(lines[i]);
        // The signature may span lines until the parentheses close.
        let mut sig = String::new();
        let mut j = i;
        loop {
            sig.push_str(lines[j].trim());
            sig.push(' ');
            let open = sig.matches('(').count();
            let close = sig.matches(')').count();
            if open <= close || j + 1 >= lines.len() {
                break;
            }
            j += 1;
        }
        let params = sig
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map(|(p, _)| top_level_split(p))
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                p.trim()
                    .trim_start_matches('*')
                    .split([':', '='])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .filter(|p| !p.is_empty() && !matches!(p.as_str(), "self" | "request" | "progress"))
            .collect();
        let mut body = Vec::new();
        let mut k = j + 1;
        while k < lines.len() {
            let l = lines[k];
            if !l.trim().is_empty() && indent(l) <= base {
                break;
            }
            if !l.trim().is_empty() {
                body.push(l.trim().to_string());
            }
            k += 1;
        }
        out.push(Function {
            name: name.to_string(),
            params,
            body,
        });
        i = j + 1;
    }
    out
}

fn top_level_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Constant,
    Echo,
    Noise,
    Real,
}

fn is_literal(e: &str) -> bool {
    let e = e
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    if e.is_empty() || matches!(e, "None" | "True" | "False") {
        return true;
    }
    if e.parse::<f64>().is_ok() {
        return true;
    }
    let unprefixed = e.trim_start_matches(['r', 'b']);
    if unprefixed.starts_with('"') || unprefixed.starts_with('\'') {
        return true;
    }
    (e.starts_with("f\"") || e.starts_with("f'")) && !e.contains('{')
}

fn classify(expr: &str, f: &Function) -> Kind {
    let e = expr.trim().trim_end_matches(';').trim();
    let noisy = |s: &str| NOISE.iter().any(|n| s.contains(n));
    let constant_image = |s: &str| {
        s.contains("Image.new(")
            || s.contains("np.zeros(")
            || s.contains("np.ones(")
            || s.contains("np.full(")
    };
    if is_literal(e) {
        return Kind::Constant;
    }
    if f.params.iter().any(|p| {
        e == p
            || e == format!("str({p})")
            || e == format!("f\"{{{p}}}\"")
            || e == format!("f'{{{p}}}'")
    }) {
        return Kind::Echo;
    }
    if noisy(e) {
        return Kind::Noise;
    }
    if constant_image(e) {
        return Kind::Constant;
    }
    // `return img` where `img = <noise or blank image>` in the same function.
    let is_name = e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if is_name {
        let assigned: Vec<&str> = f
            .body
            .iter()
            .filter_map(|l| {
                let (lhs, rhs) = l.split_once('=')?;
                (lhs.trim() == e && !rhs.starts_with('=')).then_some(rhs.trim())
            })
            .collect();
        if !assigned.is_empty() {
            if assigned.iter().all(|r| noisy(r)) {
                return Kind::Noise;
            }
            if assigned.iter().all(|r| constant_image(r) || is_literal(r)) {
                return Kind::Constant;
            }
        }
    }
    Kind::Real
}

/// Reads `app.py` for the model `model_id`.
pub fn read_app(source: &str, model_id: &str) -> AppReading {
    let cleaned: Vec<&str> = source.lines().map(strip_comment).collect();
    let text = cleaned.join("\n");
    let imports = imported_modules(&cleaned);
    let model_libraries: BTreeSet<String> = imports
        .iter()
        .filter(|m| MODEL_LIBRARIES.contains(&m.as_str()))
        .cloned()
        .collect();
    let names_model_id = text.to_lowercase().contains(&model_id.to_lowercase());
    let wanted = endpoint_names(&text, &cleaned);
    let mut reasons = Vec::new();
    if model_libraries.is_empty() {
        reasons.push(
            "app.py imports no model library (such as torch, transformers or diffusers), so it cannot run the model.".to_string(),
        );
    }
    if !names_model_id {
        reasons.push(format!(
            "app.py never names the model `{model_id}`, so it does not load it."
        ));
    }
    let mut endpoints = Vec::new();
    for f in functions(&cleaned)
        .iter()
        .filter(|f| wanted.contains(&f.name))
    {
        endpoints.push(f.name.clone());
        let kinds: Vec<Kind> = f
            .body
            .iter()
            .filter_map(|l| {
                l.strip_prefix("return ")
                    .or_else(|| l.strip_prefix("yield "))
                    .or_else(|| (l == "return").then_some(""))
            })
            .map(|e| classify(e, f))
            .collect();
        if kinds.is_empty() || kinds.contains(&Kind::Real) {
            continue;
        }
        let what = if kinds.contains(&Kind::Noise) {
            "random noise"
        } else if kinds.contains(&Kind::Echo) {
            "its own input"
        } else {
            "a constant"
        };
        reasons.push(format!(
            "The function `{}` returns {what} instead of the model's output.",
            f.name
        ));
    }
    let lower = text.to_lowercase();
    AppReading {
        model_libraries,
        names_model_id,
        endpoints,
        reasons,
        uses_gpu: text.contains("spaces.GPU") || text.contains("@GPU") || lower.contains("cuda"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "Tongyi-MAI/Z-Image-Turbo";

    const REAL: &str = r#"
import spaces
import gradio as gr
import torch
from diffusers import DiffusionPipeline

MODEL_ID = "Tongyi-MAI/Z-Image-Turbo"
pipe = DiffusionPipeline.from_pretrained(MODEL_ID, torch_dtype=torch.bfloat16)

@spaces.GPU(duration=60)
def generate(prompt: str, steps: float = 4, seed: int = 0):
    generator = torch.manual_seed(int(seed))  # a random seed is fine
    image = pipe(prompt, num_inference_steps=int(steps)).images[0]
    return image

with gr.Blocks() as demo:
    p = gr.Textbox()
    o = gr.Image()
    gr.Button().click(generate, [p], o, api_name="generate")
demo.launch()
"#;

    #[test]
    fn a_real_app_is_not_a_placeholder() {
        let r = read_app(REAL, MODEL);
        assert!(!r.is_placeholder(), "{:?}", r.reasons);
        assert!(r.has_inference_path());
        assert!(r.uses_gpu);
        assert_eq!(r.endpoints, vec!["generate"]);
        assert!(r.model_libraries.contains("diffusers") && r.model_libraries.contains("torch"));
    }

    #[test]
    fn no_model_library_and_no_model_id() {
        let src = "import gradio as gr\nfrom PIL import Image\n\ndef generate(prompt):\n    img = Image.new('RGB', (64, 64), 'red')\n    return img\n\ngr.Interface(fn=generate, inputs='text', outputs='image').launch()\n";
        let r = read_app(src, MODEL);
        assert!(r.is_placeholder());
        assert_eq!(r.reasons.len(), 3, "{:?}", r.reasons);
        assert!(r.reasons[0].contains("no model library"));
        assert!(r.reasons[1].contains("never names the model"));
        assert!(
            r.reasons[2].contains("`generate` returns a constant"),
            "{:?}",
            r.reasons
        );
        assert!(!r.has_inference_path());
    }

    #[test]
    fn noise_echo_and_constant_returns() {
        let header = "import torch\nimport numpy as np\nimport gradio as gr\nMODEL = 'Tongyi-MAI/Z-Image-Turbo'\n";
        let noise = format!(
            "{header}def generate(prompt):\n    arr = np.random.randint(0, 255, (64, 64, 3))\n    return arr\nx.click(generate, [a], b)\n"
        );
        let r = read_app(&noise, MODEL);
        assert_eq!(
            r.reasons,
            vec!["The function `generate` returns random noise instead of the model's output."]
        );
        let echo = format!(
            "{header}def generate(prompt, steps=4):\n    return prompt\nx.click(fn=generate, inputs=[a], outputs=b)\n"
        );
        assert!(read_app(&echo, MODEL).reasons[0].contains("its own input"));
        let constant = format!(
            "{header}def generate(\n    prompt,\n):\n    if not prompt:\n        return None\n    return \"Model output would appear here\"\nx.submit(generate, a, b)\n"
        );
        assert!(read_app(&constant, MODEL).reasons[0].contains("a constant"));
        // A function not wired to the UI is not judged.
        let helper = format!(
            "{header}def helper(x):\n    return 'x'\ndef generate(p):\n    return pipe(p)\nx.click(generate, a, b)\n"
        );
        assert!(read_app(&helper, MODEL).reasons.is_empty());
    }

    #[test]
    fn comments_and_strings() {
        assert_eq!(strip_comment("x = 1  # note"), "x = 1  ");
        assert_eq!(
            strip_comment("s = '#not a comment'"),
            "s = '#not a comment'"
        );
        // A model id only in a comment does not count as naming it.
        let src =
            "import torch\n# TODO load Tongyi-MAI/Z-Image-Turbo\nM = 'tongyi-mai/z-image-turbo'\n";
        assert!(read_app(src, MODEL).names_model_id);
        let src = "import torch\n# TODO load Tongyi-MAI/Z-Image-Turbo\n";
        assert!(!read_app(src, MODEL).names_model_id);
        assert!(
            is_literal("\"text\"")
                && is_literal("42")
                && is_literal("None")
                && is_literal("f'plain'")
        );
        assert!(!is_literal("f'{x}'") && !is_literal("pipe(x)"));
    }
}

import os

import spaces
import gradio as gr
import torch
from transformers import pipeline
from starlette.responses import JSONResponse
from starlette.routing import Route

MODEL_ID = "{{MODEL_ID}}"
device = 0 if torch.cuda.is_available() else -1
# A gated or private model downloads with the Space's secret HF_TOKEN.
generator = pipeline("text-generation", model=MODEL_ID, device=device, token=os.environ.get("HF_TOKEN"))


@spaces.GPU(duration=60)
def generate(prompt: str, max_new_tokens: float = 32):
    """Continues the prompt with {{MODEL_ID}}."""
    return generator(prompt, max_new_tokens=int(max_new_tokens))[0]["generated_text"]


async def health(request):
    return JSONResponse({"status": "ok"})


with gr.Blocks(title="{{TITLE}}") as demo:
    gr.Markdown("# {{TITLE}}\nText from [{{MODEL_ID}}](https://huggingface.co/{{MODEL_ID}}).")
    prompt = gr.Textbox(label="Prompt", value="Once upon a time")
    max_new_tokens = gr.Slider(1, 64, value=32, step=1, label="New tokens")
    output = gr.Textbox(label="Text")
    gr.Button("Generate", variant="primary").click(generate, [prompt, max_new_tokens], output, api_name="generate")

demo.launch(app_kwargs={"routes": [Route("/health", health)]})

import os

import spaces
import gradio as gr
import torch
from diffusers import DiffusionPipeline
from starlette.responses import JSONResponse
from starlette.routing import Route

MODEL_ID = "{{MODEL_ID}}"
device = "cuda" if torch.cuda.is_available() else "cpu"
# A gated or private model downloads with the Space's secret HF_TOKEN.
pipe = DiffusionPipeline.from_pretrained(
    MODEL_ID, torch_dtype=torch.bfloat16, token=os.environ.get("HF_TOKEN")
).to(device)


@spaces.GPU(duration=60)
def generate(prompt: str, steps: float = 4):
    """Generates an image from the prompt with {{MODEL_ID}}."""
    return pipe(prompt, num_inference_steps=int(steps)).images[0]


async def health(request):
    return JSONResponse({"status": "ok"})


with gr.Blocks(title="{{TITLE}}") as demo:
    gr.Markdown("# {{TITLE}}\nImages from [{{MODEL_ID}}](https://huggingface.co/{{MODEL_ID}}).")
    prompt = gr.Textbox(label="Prompt", value="a red fox in the snow")
    steps = gr.Slider(1, 8, value=4, step=1, label="Steps")
    image = gr.Image(label="Image", format="png")
    gr.Button("Generate", variant="primary").click(generate, [prompt, steps], image, api_name="generate")

demo.launch(app_kwargs={"routes": [Route("/health", health)]})

import spaces
import gradio as gr
import torch
from diffusers import DiffusionPipeline
from starlette.responses import JSONResponse
from starlette.routing import Route

MODEL_ID = "Tongyi-MAI/Z-Image-Turbo"
pipe = DiffusionPipeline.from_pretrained(MODEL_ID, torch_dtype=torch.bfloat16)


@spaces.GPU(duration=60)
def generate(prompt: str, steps: float = 4):
    """Generates an image from the prompt with the model."""
    return pipe(prompt, num_inference_steps=int(steps)).images[0]


def describe(prompt: str, request: gr.Request):
    """Says whether the Space received the token header (the proxy strips it on the Hub)."""
    seen = "yes" if request.headers.get("x-hf-authorization", "").startswith("Bearer ") else "no"
    return f"{prompt}|auth:{seen}"


def fail(prompt: str):
    raise gr.Error(f"boom: {prompt}")


async def health(request):
    return JSONResponse({"status": "ok"})


with gr.Blocks() as demo:
    prompt = gr.Textbox(label="prompt")
    steps = gr.Slider(1, 8, value=4, step=1, label="steps")
    image = gr.Image(label="image")
    text = gr.Textbox(label="text")
    gr.Button("Generate").click(generate, [prompt, steps], image, api_name="generate")
    gr.Button("Describe").click(describe, [prompt], text, api_name="describe")
    gr.Button("Fail").click(fail, [prompt], text, api_name="fail")

demo.launch(app_kwargs={"routes": [Route("/health", health)]})

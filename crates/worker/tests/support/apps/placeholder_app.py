import gradio as gr
from PIL import Image
from starlette.responses import JSONResponse
from starlette.routing import Route


def generate(prompt: str):
    """Shows where the model's image would appear."""
    img = Image.new("RGB", (64, 64), "gray")
    return img


async def health(request):
    return JSONResponse({"status": "ok"})


with gr.Blocks() as demo:
    prompt = gr.Textbox(label="prompt")
    image = gr.Image(label="image", format="png")
    gr.Button("Generate").click(generate, [prompt], image, api_name="generate")

demo.launch(app_kwargs={"routes": [Route("/health", health)]})

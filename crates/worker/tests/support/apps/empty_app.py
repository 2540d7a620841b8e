import gradio as gr


def generate(prompt: str, steps: float = 4):
    """Answers, but with nothing: the image stays empty."""
    return None


with gr.Blocks() as demo:
    inputs = [gr.Textbox(label="prompt"), gr.Slider(1, 8, value=4, step=1, label="steps")]
    gr.Button("Generate").click(generate, inputs, gr.Image(label="image"), api_name="generate")

demo.launch()

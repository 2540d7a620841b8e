//! Entry point: only mounts the app (see lib.rs).

fn main() {
    // The panic in the browser's console, and a sentence on the page (a panic stops the app).
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        space_factory::show_stopped(&info.to_string());
    }));
    space_factory::mount();
}

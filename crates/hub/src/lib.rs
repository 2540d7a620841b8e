//! Typed Hugging Face Hub client (see issue 3).

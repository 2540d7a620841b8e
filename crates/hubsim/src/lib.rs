//! Local Hub simulator (see issue 3).

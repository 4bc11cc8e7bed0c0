//! Where an artifact's files come from: frontend inputs, the client's local
//! directories (less what `.dockerignore` excludes), images, named
//! contexts and other builds, OCI layouts among them, and how to find a
//! path in any of them.

pub mod context;
pub mod ignore;
pub mod inner_build;
pub mod input;
pub mod lookup;
pub mod oci_layout;
pub mod read_spec_file;
pub mod solve;

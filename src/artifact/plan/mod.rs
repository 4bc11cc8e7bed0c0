//! Stage two: the plan. However the build asked (the `artifact.v0`
//! contract's options, an Artifactfile, a Modelfile, or a wrapped build),
//! it becomes one [`Plan`]: where files come from (inputs), which paths
//! become blobs, and the manifests to write around them. Each way of
//! asking has its builder (`from_*`); what they read comes from the
//! inputs stage, so the plan only decides.

mod blob_request;
mod from_artifactfile;
mod from_contract;
mod from_modelfile;
mod from_wrapped_build;
pub mod items;
mod output_tags;
pub mod types;
pub mod warnings;

use crate::gateway::Gateway;

use super::error::Result;
use super::inputs::read_spec_file;
use super::request::{Config, Dialect, Mode, dialect_of};

pub use blob_request::Expected;
pub use items::{FixedLayer, IncludePlan, IndexPlan, Node, SubjectPlan};
pub use types::{
    BlobRequest, ConfigSource, Input, LayerPlan, ManifestPlan, ModelPlan, Plan, RequestId,
};

/// The plan for what `cfg` asks, its output tagged as `artifact.tag`
/// says, every blob request numbered.
pub async fn make<G: Gateway>(gw: &G, cfg: &Config) -> Result<Plan> {
    let plan = match &cfg.mode {
        Mode::Wrap(frontend) => from_wrapped_build::plan(gw, cfg, frontend).await?,
        Mode::Contract => from_contract::plan(gw, cfg).await?,
        Mode::SpecFile => {
            let file = read_spec_file::read(gw, cfg).await?;
            let text = String::from_utf8_lossy(&file.data);
            match dialect_of(cfg.spec_file.dialect, &file.filename, &text)? {
                Dialect::Modelfile => from_modelfile::plan(gw, cfg, file).await?,
                Dialect::Artifactfile => from_artifactfile::plan(gw, cfg, file).await?,
            }
        }
    };
    if matches!(cfg.mode, Mode::Wrap(_) | Mode::Contract) {
        warnings::show_notes(gw, None, &from_contract::findings(&plan.manifests)).await?;
    }
    Ok(plan.tagged(&cfg.tags)?.numbered())
}

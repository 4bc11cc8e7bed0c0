//! The plan for an Artifactfile: parse it, then resolve what it names
//! (ripgrep's parse-then-resolve): paths confined to their source root,
//! each `FROM` turned into an input, OCI layouts read for what `LAYERS`
//! and `INCLUDE` take, ids turned into the items they name, defaults
//! applied.

mod artifact;
mod compose;
mod tags;

use std::collections::BTreeMap;

use crate::artifactfile::{self, Artifactfile, IndexDecl, Item, LayoutRef, ParseOptions};
use crate::gateway::{Gateway, UserError};
use crate::modelpack;
use crate::oci::EMPTY_JSON_MEDIA_TYPE;

use crate::artifact::error::Result;
use crate::artifact::inputs::Wanted;
use crate::artifact::inputs::artifactfile::gather;
use crate::artifact::request::{Config, DIALECT_KEY, epoch};

use super::items::{IncludePlan, IndexPlan, Node, SubjectPlan};
use super::types::{BlobRequest, ConfigSource, LayerPlan, ManifestPlan, Plan};
use super::warnings;
use crate::artifact::inputs::spec_file::{SpecFile, located};

use artifact::{CREATED, Draft, DraftLayer};
use compose::Layouts;

/// Parses the Artifactfile and plans what it builds.
pub async fn plan<G: Gateway>(gw: &G, cfg: &Config, file: SpecFile) -> Result<Plan> {
    let text = String::from_utf8_lossy(&file.data).into_owned();
    let parse_opts = ParseOptions {
        build_args: cfg.spec_file.build_args.clone(),
        named_contexts: cfg.spec_file.named_contexts.clone(),
    };
    let parsed =
        artifactfile::parse(&text, &parse_opts).map_err(|e| located(&file, e.lines, e.message))?;
    warnings::show(gw, &file, &parsed.warnings).await?;
    resolve(gw, cfg, parsed, file).await
}

/// Turns the parsed file into a plan: items in file order, written in
/// dependency order.
async fn resolve<G: Gateway>(
    gw: &G,
    cfg: &Config,
    f: Artifactfile,
    file: SpecFile,
) -> Result<Plan> {
    let order = f
        .build_order()
        .map_err(|e| located(&file, e.lines, e.message))?;
    let nodes = nodes(&f.items);
    let ids: BTreeMap<&str, Node> = f
        .items
        .iter()
        .zip(&nodes)
        .filter_map(|(item, n)| Some((item.id()?, *n)))
        .collect();
    let drafts = f
        .artifacts()
        .map(|a| Draft::of(a, &file, &ids, cfg.epoch))
        .collect::<Result<Vec<_>, UserError>>()?;
    let wanted: Vec<Wanted> = drafts
        .iter()
        .flat_map(Draft::requests)
        .map(BlobRequest::wanted)
        .collect();
    let layout_refs: Vec<&LayoutRef> = drafts
        .iter()
        .flat_map(Draft::layout_refs)
        .chain(f.items.iter().filter_map(|i| match i {
            Item::Include(inc) => Some(&inc.from),
            _ => None,
        }))
        .collect();
    let inputs = gather(gw, cfg, &f, &wanted, &layout_refs, &file).await?;
    let layouts = Layouts::new(&inputs, &file);
    let mut manifests = Vec::new();
    for d in drafts {
        manifests.push(finish(gw, &layouts, d, &file).await?);
    }
    let mut includes = Vec::new();
    let mut indexes = Vec::new();
    for item in &f.items {
        match item {
            Item::Include(inc) => includes.push(layouts.include(gw, inc).await?),
            Item::Index(ix) => indexes.push(index(ix, &ids, cfg.epoch)),
            Item::Artifact(_) => {}
        }
    }
    for dropped in tags::settle(&f.items, &mut includes, &file)? {
        warnings::show_at(gw, &file, dropped.lines, dropped.message).await?;
    }
    check_subjects(&manifests, &includes, &file)?;
    Ok(Plan {
        inputs: inputs.inputs,
        manifests,
        includes,
        indexes,
        listing: nodes.clone(),
        order: order.into_iter().map(|i| nodes[i]).collect(),
        epoch: cfg.epoch,
        spec_file: Some(file),
        result_metadata: BTreeMap::new(),
    })
}

/// Each item's node: its place in the plan's list of its kind.
fn nodes(items: &[Item]) -> Vec<Node> {
    let (mut m, mut inc, mut ix) = (0, 0, 0);
    let next = |n: &mut usize| {
        *n += 1;
        *n - 1
    };
    items
        .iter()
        .map(|item| match item {
            Item::Artifact(_) => Node::Manifest(next(&mut m)),
            Item::Include(_) => Node::Include(next(&mut inc)),
            Item::Index(_) => Node::Index(next(&mut ix)),
        })
        .collect()
}

/// An artifact's manifest plan, its `LAYERS` read from their layouts and
/// its config decided: `CONFIG`'s, a ModelPack base's (extended), or the
/// OCI 1.1 empty descriptor.
async fn finish<G: Gateway>(
    gw: &G,
    layouts: &Layouts<'_>,
    d: Draft,
    file: &SpecFile,
) -> Result<ManifestPlan> {
    let mut layers: Vec<LayerPlan> = Vec::new();
    let mut model_base: Option<(serde_json::Value, &LayoutRef)> = None;
    let mut not_models: Vec<&LayoutRef> = Vec::new();
    for l in &d.layers {
        match l {
            DraftLayer::File(p) => layers.push((**p).clone()),
            DraftLayer::Layout(r) => {
                let from_layout = layouts.layers(gw, r).await?;
                match from_layout.model_config {
                    Some(c) if model_base.is_none() => model_base = Some((c, r)),
                    Some(_) => {}
                    None => not_models.push(r),
                }
                layers.extend(from_layout.layers);
            }
        }
    }
    let is_model = d.artifact_type.as_deref() == Some(modelpack::ARTIFACT_TYPE);
    let (config_media_type, config) = match (d.config, model_base) {
        (Some(c), _) => c,
        (None, Some((base, _))) if is_model => {
            // Every layer the base did not list needs a DiffID we can know.
            if let Some((i, l)) = layers
                .iter()
                .enumerate()
                .find(|(_, l)| l.fixed.as_ref().is_some_and(|f| f.diff_id.is_none()))
            {
                return Err(located(
                    file,
                    l.blob.lines.unwrap_or(d.lines),
                    format!(
                        "layer {} ({}) is compressed, and the config of the manifest it comes \
                         from lists no DiffID for it (neither a ModelPack model's modelfs.diffIds \
                         nor an image's rootfs.diff_ids), so the model config can't list it; \
                         take it from a ModelPack model or an image, or give CONFIG",
                        i + 1,
                        l.blob.given
                    ),
                )
                .into());
            }
            (
                modelpack::CONFIG_MEDIA_TYPE.to_string(),
                ConfigSource::DerivedModel(Box::new(base)),
            )
        }
        (None, _) if d.artifact_type.is_none() => {
            return Err(located(
                file,
                d.lines,
                format!(
                    "ARTIFACT is required when there is no CONFIG: OCI 1.1 needs an artifactType \
                     when the config is the empty descriptor; add e.g. `ARTIFACT application/vnd.example.thing.v1` \
                     (for a ModelPack model of the context's files, write a Modelfile: name the file \
                     Modelfile or pass --build-arg {DIALECT_KEY}=modelfile)"
                ),
            )
            .into());
        }
        (None, None) if is_model => {
            // The parser let it through for its LAYERS lines: none of them
            // took a ModelPack model, so there is no config to extend, and
            // the empty one would be no model at all.
            let named: Vec<String> = not_models.iter().map(|r| r.name.clone()).collect();
            let first = not_models.first().map_or(d.lines, |r| r.lines);
            return Err(located(
                file,
                first,
                format!(
                    "ARTIFACT {}: LAYERS {} takes no ModelPack model (its config is not a \
                     ModelPack config), so there is no model config to extend with these layers' \
                     DiffIDs, and the empty config is no ModelPack model; take the layers of a \
                     ModelPack model, give the config with CONFIG {} <file>, or write a \
                     Modelfile, which generates the config",
                    modelpack::ARTIFACT_TYPE,
                    named.join(", "),
                    modelpack::CONFIG_MEDIA_TYPE,
                ),
            )
            .into());
        }
        (None, _) => (
            EMPTY_JSON_MEDIA_TYPE.to_string(),
            ConfigSource::Inline(b"{}".to_vec()),
        ),
    };
    Ok(ManifestPlan {
        id: d.id,
        tags: d.tags,
        platform: None,
        artifact_type: d.artifact_type,
        config_media_type,
        config,
        layers,
        empty_layer_if_none: true,
        annotations: d.annotations,
        subject: d.subject.map(|(s, _)| s),
        model: None,
    })
}

/// An `INDEX`'s plan.
fn index(ix: &IndexDecl, ids: &BTreeMap<&str, Node>, epoch_secs: Option<i64>) -> IndexPlan {
    let mut annotations = ix.annotations.clone();
    if let Some(e) = epoch_secs {
        annotations
            .entry(CREATED.to_string())
            .or_insert_with(|| epoch::rfc3339(e));
    }
    IndexPlan {
        id: ix.id.clone(),
        artifact_type: ix.artifact_type.clone(),
        // The parser checked that every member is an item of the file.
        members: ix
            .members
            .iter()
            .filter_map(|(id, lines)| Some((*ids.get(id.as_str())?, *lines)))
            .collect(),
        annotations,
        tags: ix.tags.iter().map(|(t, _)| t.clone()).collect(),
        lines: ix.lines,
    }
}

/// A subject is one manifest or index: an `INCLUDE` of several entries
/// can't be one.
fn check_subjects(
    manifests: &[ManifestPlan],
    includes: &[IncludePlan],
    file: &SpecFile,
) -> Result<(), UserError> {
    for m in manifests {
        let Some(SubjectPlan::Item(super::items::Node::Include(k))) = &m.subject else {
            continue;
        };
        let inc = &includes[*k];
        if inc.entries.len() != 1 {
            return Err(located(
                file,
                inc.lines,
                format!(
                    "{} is the subject of artifact {}, but includes {} entries; a subject is one \
                     manifest or index: include one with <name>:<tag> or <name>@sha256:<hex>",
                    inc.id.as_deref().unwrap_or("this INCLUDE"),
                    m.id.as_deref().unwrap_or("of the file"),
                    inc.entries.len()
                ),
            ));
        }
    }
    Ok(())
}

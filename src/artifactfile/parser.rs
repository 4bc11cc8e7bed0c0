//! Directives to the model: one method per instruction, each checking its
//! own arguments (those that compose several items are in
//! [`super::compose`]); [`Sections`] decides which item a line is part of.

use std::collections::{BTreeMap, HashMap};

use super::args::{exactly, non_empty};
use super::file::Artifactfile;
use super::flags::split_flags;
use super::items::LayerEntry;
use super::layout::LayoutNames;
use super::lines::logical_lines;
use super::model::*;
use super::names::{check_alias, check_ref_name, split_as};
use super::sections::Sections;
use super::words::{Vars, Word, is_name, split_words};
use super::{ParseOptions, compose, did_you_mean, from, graph, lint, quote, subject};

/// The instructions, for "did you mean" and for the list in errors.
pub const INSTRUCTIONS: [&str; 12] = [
    "ARG",
    "ARTIFACT",
    "CONFIG",
    "LAYER",
    "LAYERS",
    "ANNOTATION",
    "TAG",
    "FROM",
    "SUBJECT",
    "INCLUDE",
    "INDEX",
    "MANIFEST",
];

pub(super) fn parse(text: &str, opts: &ParseOptions) -> Result<Artifactfile, ParseError> {
    let mut parser = Parser {
        file: Artifactfile {
            sources: vec![FromLine {
                source: Source::Context,
                alias: None,
                lines: None,
            }],
            ..Artifactfile::default()
        },
        sections: Sections::new(),
        source_index: HashMap::from([(Source::Context, 0)]),
        current: 0,
        aliases: BTreeMap::new(),
        vars: Vars::new(&opts.build_args),
        named_contexts: &opts.named_contexts,
    };
    for line in logical_lines(text)? {
        parser
            .directive(&line.text, line.lines)
            .map_err(|message| ParseError {
                message,
                lines: line.lines,
            })?;
    }
    let Parser {
        mut file, sections, ..
    } = parser;
    file.items = sections.finish();
    // Ids may be used above the line that defines them: checked now.
    graph::build_order(&file.items)?;
    Ok(file)
}

struct Parser<'o> {
    /// The sources and warnings so far; the items are in `sections`.
    file: Artifactfile,
    sections: Sections,
    /// Index of each source in `file.sources` (its first entry), so a
    /// repeated `FROM` reuses it without a linear search per line.
    source_index: HashMap<Source, usize>,
    /// The source of the last `FROM` (0, the context, before any).
    current: usize,
    /// `FROM ... AS <name>`: each name's source index and line.
    aliases: BTreeMap<String, (usize, Lines)>,
    vars: Vars<'o>,
    named_contexts: &'o BTreeMap<String, String>,
}

impl Parser<'_> {
    fn directive(&mut self, text: &str, lines: Lines) -> Result<(), String> {
        let text = text.trim_start();
        let (keyword, rest) = text.split_at(text.find(char::is_whitespace).unwrap_or(text.len()));
        let instruction = keyword.to_ascii_uppercase();
        // Unknown keywords are reported before their arguments are looked
        // at: a typo'd keyword is the more useful error.
        if !INSTRUCTIONS.contains(&instruction.as_str()) {
            return Err(unknown_instruction(keyword));
        }
        let words = split_words(rest, &mut self.vars)?;
        // Before the directive runs: `ARG A=1 B=$A` uses an A from before.
        for name in self.vars.take_undefined() {
            if self.file.warnings.len() < MAX_WARNINGS {
                let warning = lint::undefined_var(&name, &self.vars, lines);
                self.file.warnings.push(warning);
            }
        }
        let names = LayoutNames {
            named_contexts: self.named_contexts,
            aliases: &self.aliases,
        };
        let sections = &mut self.sections;
        match instruction.as_str() {
            "ARG" => self.arg(words),
            "ARTIFACT" => compose::artifact(words, lines, sections),
            "CONFIG" => self.config(words, lines),
            "LAYER" => self.layer(words, lines),
            "LAYERS" => compose::layers(words, lines, sections, &names),
            "ANNOTATION" => self.annotation(words, lines),
            "TAG" => self.tag(words, lines),
            "FROM" => self.from(words, lines),
            "INCLUDE" => compose::include(words, lines, sections, &names),
            "INDEX" => compose::index(words, lines, sections),
            "MANIFEST" => compose::manifest(words, lines, sections),
            _ => self.subject(words, lines),
        }
    }

    fn arg(&mut self, words: Vec<Word>) -> Result<(), String> {
        let (_, args) = split_flags("ARG", words, &[])?;
        if args.is_empty() {
            return Err("ARG needs a name: ARG <NAME>[=<default>]".to_string());
        }
        // The whole line was expanded before any of its names is declared,
        // so `ARG A=1 B=$A` sees the A from before this line (Dockerfile).
        for arg in args {
            let (name, default) = match arg.split_once('=') {
                Some((name, default)) => (name, Some(default.to_string())),
                None => (arg.as_str(), None),
            };
            if !is_name(name) {
                return Err(format!(
                    "ARG name {} is not valid: use letters, digits and _, not starting with a digit",
                    quote(name)
                ));
            }
            self.vars.declare(name, default);
        }
        Ok(())
    }

    fn config(&mut self, words: Vec<Word>, lines: Lines) -> Result<(), String> {
        let artifact = self.sections.artifact("CONFIG", lines)?;
        if let Some(first) = &artifact.config {
            return Err(twice("CONFIG", &first.lines));
        }
        let (_, args) = split_flags("CONFIG", words, &[])?;
        let mut args = args.into_iter();
        let (Some(media_type), path, None) = (args.next(), args.next(), args.next()) else {
            return Err("CONFIG takes a media type and an optional path: \
                        CONFIG <mediaType> [<path>]"
                .to_string());
        };
        non_empty(&media_type, "CONFIG", "media type")?;
        if path.as_deref() == Some("") {
            return Err("CONFIG path is empty (after variable expansion); \
                        leave it out for an empty {} config"
                .to_string());
        }
        artifact.config = Some(ConfigLine {
            media_type,
            path,
            source: self.current,
            lines,
        });
        Ok(())
    }

    fn layer(&mut self, words: Vec<Word>, lines: Lines) -> Result<(), String> {
        let artifact = self.sections.artifact("LAYER", lines)?;
        let specs = [("--title", "<name>"), ("--annotation", "<key>=<value>")];
        let (flags, args) = split_flags("LAYER", words, &specs)?;
        let Ok([media_type, path]) = <[String; 2]>::try_from(args) else {
            return Err("LAYER takes a media type and a path: \
                        LAYER [--title=<name>] [--annotation=<key>=<value>]... <mediaType> <path>"
                .to_string());
        };
        non_empty(&media_type, "LAYER", "media type")?;
        non_empty(&path, "LAYER", "path")?;
        let mut title = None;
        let mut annotations = BTreeMap::new();
        for (flag, value) in flags {
            if flag == "--title" {
                if value.is_empty() {
                    return Err("LAYER --title is empty: --title=<name>".to_string());
                }
                if title.replace(value).is_some() {
                    return Err("LAYER --title is given twice; keep one".to_string());
                }
            } else {
                let (key, value) = key_value("LAYER --annotation", &value)?;
                annotations.insert(key, value);
            }
        }
        artifact.layers.push(LayerEntry::File(LayerLine {
            media_type,
            path,
            title,
            annotations,
            source: self.current,
            lines,
        }));
        Ok(())
    }

    fn annotation(&mut self, words: Vec<Word>, lines: Lines) -> Result<(), String> {
        let (_, args) = split_flags("ANNOTATION", words, &[])?;
        if args.is_empty() {
            return Err("ANNOTATION needs <key>=<value> (one or more)".to_string());
        }
        let annotations = self.sections.annotations(lines);
        for arg in args {
            let (key, value) = key_value("ANNOTATION", &arg)?;
            annotations.insert(key, value);
        }
        Ok(())
    }

    fn tag(&mut self, words: Vec<Word>, lines: Lines) -> Result<(), String> {
        let [tag] = exactly("TAG", words, "TAG <name>")?;
        non_empty(&tag, "TAG", "name")?;
        check_ref_name("TAG", &tag)?;
        self.sections.tag(tag, lines)
    }

    fn from(&mut self, words: Vec<Word>, lines: Lines) -> Result<(), String> {
        let (_, args) = split_flags("FROM", words, &[])?;
        let (mut args, alias) = split_as("FROM", args)?;
        if args.is_empty() {
            return Err(
                "FROM takes a source: FROM <source> (context, a named context, an image, \
                        dockerfile:<file> or frontend:<image>)"
                    .to_string(),
            );
        }
        let word = args.remove(0);
        non_empty(&word, "FROM", "source")?;
        // A name given with AS means its source again, as a stage name
        // does in a Dockerfile (an alias is never a named context's name).
        let named = self.aliases.get(&word).filter(|_| args.is_empty());
        if let (Some(&(index, _)), None) = (named, &alias) {
            self.current = index;
            return Ok(());
        }
        let source = match named.and_then(|&(index, _)| self.file.sources.get(index)) {
            Some(entry) => entry.source.clone(),
            None => from::source(word, args, self.named_contexts)?,
        };
        self.current = match alias {
            None => match self.source_index.get(&source) {
                Some(&index) => index,
                None => self.add_source(source, None, lines),
            },
            Some(alias) => self.aliased(source, alias, lines)?,
        };
        Ok(())
    }

    /// `FROM <source> AS <alias>`: the source's index. A source named
    /// before without an alias takes this one, so it is still resolved
    /// once; one with another alias gets a second entry.
    fn aliased(&mut self, source: Source, alias: String, lines: Lines) -> Result<usize, String> {
        check_alias(&alias)?;
        if let Some((_, first)) = self.aliases.get(&alias) {
            return Err(format!(
                "FROM ... AS {}: the name is given twice (first on line {}); name each source \
                 once",
                quote(&alias),
                first.start
            ));
        }
        if alias == "context" {
            let why = "`context` names the build context already (FROM context)";
            return Err(format!("FROM ... AS \"context\": {why}; pick another name"));
        }
        if self.named_contexts.contains_key(&alias) {
            return Err(format!(
                "FROM ... AS {}: a named context has that name, and INCLUDE and LAYERS can \
                 use it as it is; pick another name, so that the name means one thing",
                quote(&alias)
            ));
        }
        let unaliased = self
            .source_index
            .get(&source)
            .copied()
            .filter(|&i| self.file.sources.get(i).is_some_and(|s| s.alias.is_none()));
        let index = match unaliased.and_then(|i| Some((i, self.file.sources.get_mut(i)?))) {
            Some((index, entry)) => {
                entry.alias = Some(alias.clone());
                index
            }
            None => self.add_source(source, Some(alias.clone()), lines),
        };
        self.aliases.insert(alias, (index, lines));
        Ok(index)
    }

    /// A new entry in `file.sources`, and its index.
    fn add_source(&mut self, source: Source, alias: Option<String>, lines: Lines) -> usize {
        let index = self.file.sources.len();
        self.source_index.entry(source.clone()).or_insert(index);
        self.file.sources.push(FromLine {
            source,
            alias,
            lines: Some(lines),
        });
        index
    }

    fn subject(&mut self, words: Vec<Word>, lines: Lines) -> Result<(), String> {
        let artifact = self.sections.artifact("SUBJECT", lines)?;
        if let Some((_, first)) = &artifact.subject {
            return Err(twice("SUBJECT", first));
        }
        artifact.subject = Some((subject::parse(words)?, lines));
        Ok(())
    }
}

fn unknown_instruction(keyword: &str) -> String {
    let mut hint = did_you_mean(keyword, &INSTRUCTIONS);
    if hint.is_empty() {
        hint = format!(" (an Artifactfile has {})", INSTRUCTIONS.join(", "));
    }
    format!("unknown instruction {}{hint}", quote(keyword))
}

fn twice(instruction: &str, first: &Lines) -> String {
    format!(
        "{instruction} is given twice (first on line {}); keep one",
        first.start
    )
}

/// `key=value`, split at the first `=`; the value may be empty.
fn key_value(what: &str, text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some(("", _)) => Err(format!("{what} key is empty in {}", quote(text))),
        Some((key, value)) => Ok((key.to_string(), value.to_string())),
        None => Err(format!(
            "{what} needs <key>=<value>, got {} (an empty value is written {})",
            quote(text),
            quote(&format!("{text}=")),
        )),
    }
}

//! References to Hub repositories and buckets, read from what people paste.
//!
//! * [`ModelRef`] — `owner/name`, or a model page link (`https://huggingface.co/owner/name`, `http`,
//!   `www.`, `hf.co/…`, with `/tree/…`, `/blob/…`, `/resolve/…`, query, fragment, trailing slash,
//!   surrounding whitespace). Dataset links, Space links and other hosts are refused with a
//!   sentence saying what to paste instead.
//! * [`SpaceRef`] — `owner/name`, `https://huggingface.co/spaces/owner/name[/…]` or
//!   `https://owner-name.hf.space` (only when the host label has exactly one `-`; otherwise the
//!   split between owner and name is ambiguous and the person is asked for `owner/name`).
//! * [`SpaceName`] — the bare name of a Space to create under the signed-in account.
//! * [`BucketName`] / [`BucketRef`] — a Storage Bucket, `hf://buckets/owner/name`.
//! * [`Namespace`] — a user or organisation name alone: the owner half of the above, and where
//!   jobs run (`/api/jobs/{namespace}`).
//!
//! **Single-segment model ids** (`gpt2`, `bert-base-uncased`): refused. The Hub moved these legacy
//! models under organisations (`openai-community/gpt2` …) and only redirects the old names; the run
//! record, the job and the generated Space need the real `owner/name`. The error names the
//! canonical id for the best-known legacy names and otherwise asks for the id shown on the model page.
//!
//! Name rules (the Hub's repo-name rules, used for owners, models, Spaces and buckets): letters,
//! digits, `-`, `_`, `.`; no `--` or `..`; not starting or ending with `-` or `.`; at most
//! [`NAME_MAX_LEN`] characters.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::describe_char;

/// Longest owner, repo or bucket name, in characters.
pub const NAME_MAX_LEN: usize = 96;

/// The bucket name used when the person does not choose one.
pub const DEFAULT_BUCKET_NAME: &str = "space-factory-runs";

/// What a name breaks in the Hub's naming rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong { len: usize },
    BadChar { ch: char, position: usize },
    DoubleDash,
    DoubleDot,
    BadStart { ch: char },
    BadEnd { ch: char },
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::TooLong { len } => {
                write!(f, "is {len} characters long; the limit is {NAME_MAX_LEN}")
            }
            NameProblem::BadChar { ch, position } => write!(
                f,
                "contains {} at position {position}; only letters, digits, `-`, `_` and `.` are allowed",
                describe_char(*ch)
            ),
            NameProblem::DoubleDash => f.write_str("contains `--`, which the Hub does not allow"),
            NameProblem::DoubleDot => f.write_str("contains `..`, which the Hub does not allow"),
            NameProblem::BadStart { ch } => {
                write!(
                    f,
                    "starts with `{ch}`; it must start with a letter, digit or `_`"
                )
            }
            NameProblem::BadEnd { ch } => {
                write!(
                    f,
                    "ends with `{ch}`; it must end with a letter, digit or `_`"
                )
            }
        }
    }
}

/// Checks one owner, repo or bucket name against the Hub's naming rules.
pub fn check_name(name: &str) -> Result<(), NameProblem> {
    let mut len = 0usize;
    for (i, ch) in name.chars().enumerate() {
        len += 1;
        if !(ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')) {
            return Err(NameProblem::BadChar {
                ch,
                position: i + 1,
            });
        }
    }
    if len == 0 {
        return Err(NameProblem::Empty);
    }
    if len > NAME_MAX_LEN {
        return Err(NameProblem::TooLong { len });
    }
    if name.contains("--") {
        return Err(NameProblem::DoubleDash);
    }
    if name.contains("..") {
        return Err(NameProblem::DoubleDot);
    }
    let first = name.chars().next().unwrap_or('a');
    if matches!(first, '-' | '.') {
        return Err(NameProblem::BadStart { ch: first });
    }
    let last = name.chars().next_back().unwrap_or('a');
    if matches!(last, '-' | '.') {
        return Err(NameProblem::BadEnd { ch: last });
    }
    Ok(())
}

/// What the person was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Model,
    Space,
    Bucket,
    Account,
}

impl Wanted {
    fn noun(self) -> &'static str {
        match self {
            Wanted::Model => "model",
            Wanted::Space => "Space",
            Wanted::Bucket => "bucket",
            Wanted::Account => "account",
        }
    }
    fn paste_hint(self) -> &'static str {
        match self {
            Wanted::Model => {
                "Paste the model id (`owner/name`) or the link of the model's page on huggingface.co."
            }
            Wanted::Space => {
                "Paste the Space id (`owner/name`) or its `https://huggingface.co/spaces/owner/name` link."
            }
            Wanted::Bucket => "Enter the bucket as `owner/name`.",
            Wanted::Account => "Enter the Hugging Face user or organisation name alone.",
        }
    }
}

/// Which half of `owner/name` a name problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Owner,
    Name,
}

/// Why a pasted reference was refused. Display is a sentence saying why and what to paste instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    Empty {
        wanted: Wanted,
    },
    OtherHost {
        host: String,
        wanted: Wanted,
    },
    DatasetLink {
        wanted: Wanted,
    },
    SpaceLinkForModel,
    ModelLinkForSpace {
        owner: String,
        name: String,
    },
    BucketLink {
        wanted: Wanted,
    },
    NotARepoPage {
        page: String,
        wanted: Wanted,
    },
    MissingOwner {
        name: String,
        wanted: Wanted,
        suggestion: Option<&'static str>,
    },
    TooManyParts {
        wanted: Wanted,
    },
    AmbiguousSpaceHost {
        host: String,
    },
    NotASpaceHost {
        host: String,
    },
    SpaceNameHasOwner {
        name: String,
    },
    BadName {
        wanted: Wanted,
        part: Part,
        value: String,
        problem: NameProblem,
    },
}

impl std::error::Error for RefError {}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::Empty { wanted } => write!(f, "No {} given. {}", wanted.noun(), wanted.paste_hint()),
            RefError::OtherHost { host, wanted } => write!(
                f,
                "`{host}` is not Hugging Face; Space Factory only reads huggingface.co. {}",
                wanted.paste_hint()
            ),
            RefError::DatasetLink { wanted } => write!(
                f,
                "This is a link to a dataset, not a {}. {}",
                wanted.noun(),
                wanted.paste_hint()
            ),
            RefError::SpaceLinkForModel => f.write_str(
                "This is a link to a Space (an app), not a model. Space Factory builds from a model card: open the model the Space uses and paste its id (`owner/name`) or its page link; to re-check an existing Space, use Validate instead.",
            ),
            RefError::ModelLinkForSpace { owner, name } => write!(
                f,
                "This is a link to a model page, not a Space. If the Space is `{owner}/{name}`, paste `{owner}/{name}` or its `https://huggingface.co/spaces/{owner}/{name}` link."
            ),
            RefError::BucketLink { wanted } => write!(
                f,
                "This is a link to a Storage Bucket, not a {}. {}",
                wanted.noun(),
                wanted.paste_hint()
            ),
            RefError::NotARepoPage { page, wanted } => write!(
                f,
                "This link points to the Hub's `{page}` pages, not to a {}. {}",
                wanted.noun(),
                wanted.paste_hint()
            ),
            RefError::MissingOwner { name, wanted, suggestion } => {
                write!(f, "`{name}` has no owner; a {} id is `owner/name`.", wanted.noun())?;
                match (wanted, suggestion) {
                    (_, Some(canonical)) => write!(
                        f,
                        " This legacy model now lives at `{canonical}`; paste that instead."
                    ),
                    (Wanted::Model, None) => f.write_str(
                        " Open the model on huggingface.co and copy the `owner/name` shown at the top of its page.",
                    ),
                    (Wanted::Space, None) => f.write_str(
                        " Add the account that owns it, e.g. `your-username/name`, or paste the Space's link.",
                    ),
                    (Wanted::Bucket | Wanted::Account, None) => {
                        f.write_str(" Add the account that owns it, e.g. `your-username/name`.")
                    }
                }
            }
            RefError::TooManyParts { wanted } => write!(
                f,
                "This has more parts than `owner/name`. {}",
                wanted.paste_hint()
            ),
            RefError::AmbiguousSpaceHost { host } => write!(
                f,
                "`{host}` is ambiguous: the owner and the Space name are joined by `-` in this address and one of them contains `-` too, so it cannot be split safely. Paste the Space as `owner/name` or as its huggingface.co/spaces/ link."
            ),
            RefError::NotASpaceHost { host } => write!(
                f,
                "`{host}` does not name a Space. Paste the Space as `owner/name` or as its huggingface.co/spaces/ link."
            ),
            RefError::SpaceNameHasOwner { name } => write!(
                f,
                "Enter only the Space name, without an owner or link (e.g. `{name}`); the Space is always created under your account."
            ),
            RefError::BadName { wanted, part, value, problem } => {
                let what = match part {
                    Part::Owner => "owner",
                    Part::Name => "name",
                };
                write!(
                    f,
                    "The {} {what} `{value}` {problem}. Check it against the {} page on huggingface.co.",
                    wanted.noun(),
                    wanted.noun()
                )
            }
        }
    }
}

/// Shows a pasted value in an error without leaking a token someone pasted by mistake.
fn echo(value: &str) -> String {
    let redacted = crate::redact::Redactor::default().redact(value);
    if redacted.chars().count() > 100 {
        let mut short: String = redacted.chars().take(97).collect();
        short.push('…');
        short
    } else {
        redacted
    }
}

fn check_part(wanted: Wanted, part: Part, value: &str) -> Result<(), RefError> {
    check_name(value).map_err(|problem| RefError::BadName {
        wanted,
        part,
        value: echo(value),
        problem,
    })
}

const HUB_HOSTS: &[&str] = &["huggingface.co", "www.huggingface.co", "hf.co", "www.hf.co"];
const SPACE_APP_SUFFIX: &str = ".hf.space";
const COMMON_TLDS: &[&str] = &[
    "com", "co", "org", "net", "io", "ai", "dev", "app", "me", "xyz", "cn", "uk", "de", "fr",
    "space",
];
/// First path segments on huggingface.co that are site pages, not repo owners.
const SITE_PAGES: &[&str] = &[
    "docs",
    "settings",
    "organizations",
    "collections",
    "papers",
    "blog",
    "pricing",
    "login",
    "join",
    "new",
    "new-space",
    "new-dataset",
    "models",
    "posts",
    "learn",
    "tasks",
    "chat",
    "enterprise",
    "inference-endpoints",
    "jobs",
    "notifications",
    "search",
    "welcome",
    "tos",
    "privacy",
    "changelog",
];
/// Second segments after a single legacy name that are page tabs, not a repo name.
const REPO_TABS: &[&str] = &[
    "tree",
    "blob",
    "resolve",
    "raw",
    "commits",
    "commit",
    "discussions",
    "edit",
    "settings",
    "blame",
];
/// Best-known legacy single-segment models and where they live now.
const LEGACY_MODELS: &[(&str, &str)] = &[
    ("gpt2", "openai-community/gpt2"),
    ("gpt2-medium", "openai-community/gpt2-medium"),
    ("gpt2-large", "openai-community/gpt2-large"),
    ("gpt2-xl", "openai-community/gpt2-xl"),
    ("bert-base-uncased", "google-bert/bert-base-uncased"),
    ("bert-base-cased", "google-bert/bert-base-cased"),
    ("bert-large-uncased", "google-bert/bert-large-uncased"),
    (
        "distilbert-base-uncased",
        "distilbert/distilbert-base-uncased",
    ),
    ("roberta-base", "FacebookAI/roberta-base"),
    ("roberta-large", "FacebookAI/roberta-large"),
    ("t5-small", "google-t5/t5-small"),
    ("t5-base", "google-t5/t5-base"),
    ("t5-large", "google-t5/t5-large"),
    ("xlm-roberta-base", "FacebookAI/xlm-roberta-base"),
];

/// A pasted reference split into where it came from and its path segments.
struct Pasted<'a> {
    /// Lower-cased host for links, `None` for bare ids.
    host: Option<String>,
    segments: Vec<&'a str>,
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

fn looks_like_host(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    if HUB_HOSTS.contains(&lower.as_str()) || lower.ends_with(SPACE_APP_SUFFIX) {
        return true;
    }
    match lower.rsplit_once('.') {
        Some((head, tld)) => !head.is_empty() && COMMON_TLDS.contains(&tld),
        None => false,
    }
}

fn split_pasted(input: &str, wanted: Wanted) -> Result<Pasted<'_>, RefError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(RefError::Empty { wanted });
    }
    let (rest, is_link) =
        if let Some(r) = strip_prefix_ci(s, "https://").or_else(|| strip_prefix_ci(s, "http://")) {
            (r, true)
        } else if let Some(idx) = s.find("://") {
            let scheme = &s[..idx];
            return Err(RefError::OtherHost {
                host: echo(&format!("{scheme}://")),
                wanted,
            });
        } else {
            let first = s.split(['/', '?', '#']).next().unwrap_or("");
            (s, looks_like_host(first))
        };
    if !is_link {
        let path = rest.split(['?', '#']).next().unwrap_or("");
        return Ok(Pasted {
            host: None,
            segments: path.split('/').filter(|p| !p.is_empty()).collect(),
        });
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let after = &rest[end..];
    if authority.contains('@') {
        return Err(RefError::OtherHost {
            host: echo(authority),
            wanted,
        });
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    }
    .trim_end_matches('.')
    .to_ascii_lowercase();
    let path = after.split(['?', '#']).next().unwrap_or("");
    Ok(Pasted {
        host: Some(host),
        segments: path.split('/').filter(|p| !p.is_empty()).collect(),
    })
}

fn is_hub_host(host: &str) -> bool {
    HUB_HOSTS.contains(&host)
}

/// A model on the Hub, `owner/name`. Serialized as that string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModelRef {
    owner: String,
    name: String,
}

impl ModelRef {
    /// Reads a model id or model page link (see the module documentation).
    pub fn parse(input: &str) -> Result<ModelRef, RefError> {
        let wanted = Wanted::Model;
        let pasted = split_pasted(input, wanted)?;
        let mut segs = pasted.segments.as_slice();
        if let Some(host) = &pasted.host {
            if host.ends_with(SPACE_APP_SUFFIX) {
                return Err(RefError::SpaceLinkForModel);
            }
            if !is_hub_host(host) {
                return Err(RefError::OtherHost {
                    host: echo(host),
                    wanted,
                });
            }
            // `huggingface.co/api/models/owner/name` is the API form of the same model.
            if segs.len() >= 2 && segs[0] == "api" && segs[1] == "models" {
                segs = &segs[2..];
            }
        }
        let Some(first) = segs.first() else {
            return Err(RefError::Empty { wanted });
        };
        match *first {
            "datasets" => return Err(RefError::DatasetLink { wanted }),
            "spaces" => return Err(RefError::SpaceLinkForModel),
            "buckets" => return Err(RefError::BucketLink { wanted }),
            page if pasted.host.is_some() && (SITE_PAGES.contains(&page) || page == "api") => {
                return Err(RefError::NotARepoPage {
                    page: page.to_string(),
                    wanted,
                });
            }
            _ => {}
        }
        if segs.len() == 1 || REPO_TABS.contains(&segs[1]) {
            return Err(missing_owner(segs[0], wanted));
        }
        if pasted.host.is_none() && segs.len() > 2 {
            return Err(RefError::TooManyParts { wanted });
        }
        ModelRef::new(segs[0], segs[1])
    }

    /// Builds a reference from its two checked parts.
    pub fn new(owner: &str, name: &str) -> Result<ModelRef, RefError> {
        check_part(Wanted::Model, Part::Owner, owner)?;
        check_part(Wanted::Model, Part::Name, name)?;
        Ok(ModelRef {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The owner as a [`Namespace`] (checked by the same rule when this reference was made).
    pub fn namespace(&self) -> Namespace {
        Namespace(self.owner.clone())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `owner/name`.
    pub fn id(&self) -> String {
        self.to_string()
    }
}

fn missing_owner(name: &str, wanted: Wanted) -> RefError {
    let suggestion = if wanted == Wanted::Model {
        LEGACY_MODELS
            .iter()
            .find(|(legacy, _)| legacy.eq_ignore_ascii_case(name))
            .map(|(_, canonical)| *canonical)
    } else {
        None
    };
    RefError::MissingOwner {
        name: echo(name),
        wanted,
        suggestion,
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl TryFrom<String> for ModelRef {
    type Error = RefError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ModelRef::parse(&value)
    }
}

impl From<ModelRef> for String {
    fn from(value: ModelRef) -> String {
        value.to_string()
    }
}

/// A Space on the Hub, `owner/name`. Serialized as that string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SpaceRef {
    owner: String,
    name: String,
}

impl SpaceRef {
    /// Reads a Space id, Space page link or `*.hf.space` app address (see the module documentation).
    ///
    /// From an `owner-name.hf.space` address the owner and name come back lower-cased, because
    /// the address itself is lower-case; the Hub matches repo names without regard to case.
    pub fn parse(input: &str) -> Result<SpaceRef, RefError> {
        let wanted = Wanted::Space;
        let pasted = split_pasted(input, wanted)?;
        let segs = pasted.segments.as_slice();
        match &pasted.host {
            Some(host) if host.ends_with(SPACE_APP_SUFFIX) => {
                let label = &host[..host.len() - SPACE_APP_SUFFIX.len()];
                if label.is_empty() || label.contains('.') {
                    return Err(RefError::NotASpaceHost { host: echo(host) });
                }
                match label.matches('-').count() {
                    0 => Err(RefError::NotASpaceHost { host: echo(host) }),
                    1 => {
                        let (owner, name) = label.split_once('-').unwrap_or((label, ""));
                        SpaceRef::new(owner, name)
                    }
                    _ => Err(RefError::AmbiguousSpaceHost { host: echo(host) }),
                }
            }
            Some(host) if !is_hub_host(host) => Err(RefError::OtherHost {
                host: echo(host),
                wanted,
            }),
            Some(_) => match segs {
                [] => Err(RefError::Empty { wanted }),
                ["spaces", owner, name, ..] => SpaceRef::new(owner, name),
                ["spaces", ..] => Err(RefError::NotARepoPage {
                    page: "spaces".to_string(),
                    wanted,
                }),
                ["api", "spaces", owner, name, ..] => SpaceRef::new(owner, name),
                ["datasets", ..] => Err(RefError::DatasetLink { wanted }),
                ["buckets", ..] => Err(RefError::BucketLink { wanted }),
                [page, ..] if SITE_PAGES.contains(page) || *page == "api" => {
                    Err(RefError::NotARepoPage {
                        page: page.to_string(),
                        wanted,
                    })
                }
                [owner, name, ..] => {
                    check_part(wanted, Part::Owner, owner)?;
                    check_part(wanted, Part::Name, name)?;
                    Err(RefError::ModelLinkForSpace {
                        owner: owner.to_string(),
                        name: name.to_string(),
                    })
                }
                [single] => Err(missing_owner(single, wanted)),
            },
            None => match segs {
                [] => Err(RefError::Empty { wanted }),
                ["spaces", owner, name] => SpaceRef::new(owner, name),
                ["datasets", ..] => Err(RefError::DatasetLink { wanted }),
                [owner, name] => SpaceRef::new(owner, name),
                [single] => Err(missing_owner(single, wanted)),
                _ => Err(RefError::TooManyParts { wanted }),
            },
        }
    }

    /// Builds a reference from its two checked parts.
    pub fn new(owner: &str, name: &str) -> Result<SpaceRef, RefError> {
        check_part(Wanted::Space, Part::Owner, owner)?;
        check_part(Wanted::Space, Part::Name, name)?;
        Ok(SpaceRef {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    /// The Space `name` under `owner` (e.g. the signed-in user).
    pub fn in_namespace(owner: &str, name: &SpaceName) -> Result<SpaceRef, RefError> {
        SpaceRef::new(owner, name.as_str())
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The owner as a [`Namespace`] (checked by the same rule when this reference was made).
    pub fn namespace(&self) -> Namespace {
        Namespace(self.owner.clone())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `owner/name`.
    pub fn id(&self) -> String {
        self.to_string()
    }

    /// The host label of the Space's app (`https://{subdomain}.hf.space`): `owner-name`,
    /// lower-cased, with `_` and `.` turned into `-`.
    ///
    /// The Hub shortens labels longer than 63 characters in its own way; when the Space's info
    /// (`GET /api/spaces/{id}`, field `subdomain`) is at hand, prefer that value.
    pub fn subdomain(&self) -> String {
        format!("{}-{}", self.owner, self.name)
            .chars()
            .map(|c| match c {
                '_' | '.' => '-',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    }
}

impl fmt::Display for SpaceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl TryFrom<String> for SpaceRef {
    type Error = RefError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SpaceRef::parse(&value)
    }
}

impl From<SpaceRef> for String {
    fn from(value: SpaceRef) -> String {
        value.to_string()
    }
}

/// The name of a Space to create under the signed-in account (the "target Space name" field).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SpaceName(String);

impl SpaceName {
    /// Reads a bare Space name; surrounding whitespace is ignored. `owner/name` and links are
    /// refused with a hint showing the bare name.
    pub fn parse(input: &str) -> Result<SpaceName, RefError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(RefError::Empty {
                wanted: Wanted::Space,
            });
        }
        if s.contains('/') {
            let last = s.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            let hint = if check_name(last).is_ok() {
                last
            } else {
                "my-space"
            };
            return Err(RefError::SpaceNameHasOwner {
                name: hint.to_string(),
            });
        }
        check_part(Wanted::Space, Part::Name, s)?;
        Ok(SpaceName(s.to_string()))
    }

    /// A fresh-looking name for a Space built from `model`: `space-factory-<model name>`,
    /// lower-cased, characters the Hub refuses turned into `-`, at most [`NAME_MAX_LEN`].
    pub fn suggest_for(model: &ModelRef) -> SpaceName {
        let mut out = String::from("space-factory-");
        for c in model.name().chars() {
            let c = c.to_ascii_lowercase();
            let c = if c.is_ascii_alphanumeric() { c } else { '-' };
            if c == '-' && out.ends_with('-') {
                continue;
            }
            out.push(c);
        }
        out.truncate(NAME_MAX_LEN);
        let trimmed = out.trim_end_matches(['-', '.']).to_string();
        SpaceName(trimmed)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_newtype!(SpaceName, RefError);

/// The name of a Storage Bucket (without owner), e.g. [`DEFAULT_BUCKET_NAME`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BucketName(String);

impl BucketName {
    /// Reads a bare bucket name; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<BucketName, RefError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(RefError::Empty {
                wanted: Wanted::Bucket,
            });
        }
        check_part(Wanted::Bucket, Part::Name, s)?;
        Ok(BucketName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for BucketName {
    fn default() -> Self {
        BucketName(DEFAULT_BUCKET_NAME.to_string())
    }
}

text_newtype!(BucketName, RefError);

/// A Storage Bucket, `owner/name`. Serialized as that string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BucketRef {
    owner: String,
    name: String,
}

impl BucketRef {
    /// Reads `owner/name`; also accepts `hf://buckets/owner/name` and
    /// `https://huggingface.co/buckets/owner/name[/…]`.
    pub fn parse(input: &str) -> Result<BucketRef, RefError> {
        let wanted = Wanted::Bucket;
        let s = input.trim();
        if let Some(rest) = strip_prefix_ci(s, "hf://buckets/") {
            let segs: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
            return match segs.as_slice() {
                [owner, name, ..] => BucketRef::new(owner, name),
                [single] => Err(missing_owner(single, wanted)),
                [] => Err(RefError::Empty { wanted }),
            };
        }
        let pasted = split_pasted(s, wanted)?;
        match (&pasted.host, pasted.segments.as_slice()) {
            (Some(host), _) if !is_hub_host(host) => Err(RefError::OtherHost {
                host: echo(host),
                wanted,
            }),
            (Some(_), ["buckets", owner, name, ..]) => BucketRef::new(owner, name),
            (Some(_), ["datasets", ..]) | (None, ["datasets", ..]) => {
                Err(RefError::DatasetLink { wanted })
            }
            (Some(_), _) => Err(RefError::NotARepoPage {
                page: "link".to_string(),
                wanted,
            }),
            (None, []) => Err(RefError::Empty { wanted }),
            (None, [single]) => Err(missing_owner(single, wanted)),
            (None, [owner, name]) => BucketRef::new(owner, name),
            (None, _) => Err(RefError::TooManyParts { wanted }),
        }
    }

    /// Builds a reference from its two checked parts.
    pub fn new(owner: &str, name: &str) -> Result<BucketRef, RefError> {
        check_part(Wanted::Bucket, Part::Owner, owner)?;
        check_part(Wanted::Bucket, Part::Name, name)?;
        Ok(BucketRef {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    /// The bucket `name` under `owner` (e.g. the signed-in user).
    pub fn in_namespace(owner: &str, name: &BucketName) -> Result<BucketRef, RefError> {
        BucketRef::new(owner, name.as_str())
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The owner as a [`Namespace`] (checked by the same rule when this reference was made).
    pub fn namespace(&self) -> Namespace {
        Namespace(self.owner.clone())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `owner/name` (the `source` of a bucket volume).
    pub fn id(&self) -> String {
        self.to_string()
    }

    /// `hf://buckets/owner/name`.
    pub fn uri(&self) -> String {
        format!("hf://buckets/{}/{}", self.owner, self.name)
    }
}

impl fmt::Display for BucketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl TryFrom<String> for BucketRef {
    type Error = RefError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        BucketRef::parse(&value)
    }
}

impl From<BucketRef> for String {
    fn from(value: BucketRef) -> String {
        value.to_string()
    }
}

/// A Hugging Face user or organisation name (the `owner` of `owner/name`), e.g. the namespace a
/// job runs in. Serialized as that string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Namespace(String);

impl Namespace {
    /// Reads a user or organisation name; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Namespace, RefError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(RefError::Empty {
                wanted: Wanted::Account,
            });
        }
        check_part(Wanted::Account, Part::Owner, s)?;
        Ok(Namespace(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_newtype!(Namespace, RefError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn model(s: &str) -> String {
        ModelRef::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .to_string()
    }

    fn space(s: &str) -> String {
        SpaceRef::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .to_string()
    }

    #[test]
    fn name_rules() {
        for ok in [
            "a",
            "Z-Image-Turbo",
            "Qwen3-Coder-Next",
            "v1.5",
            "_x_",
            &"a".repeat(96),
        ] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_name(""), Err(NameProblem::Empty));
        assert_eq!(
            check_name(&"a".repeat(97)),
            Err(NameProblem::TooLong { len: 97 })
        );
        assert_eq!(
            check_name("a b"),
            Err(NameProblem::BadChar {
                ch: ' ',
                position: 2
            })
        );
        assert_eq!(check_name("a--b"), Err(NameProblem::DoubleDash));
        assert_eq!(check_name("a..b"), Err(NameProblem::DoubleDot));
        assert_eq!(check_name("-ab"), Err(NameProblem::BadStart { ch: '-' }));
        assert_eq!(check_name(".ab"), Err(NameProblem::BadStart { ch: '.' }));
        assert_eq!(check_name("ab-"), Err(NameProblem::BadEnd { ch: '-' }));
        assert_eq!(check_name("ab."), Err(NameProblem::BadEnd { ch: '.' }));
        assert_eq!(
            check_name("né"),
            Err(NameProblem::BadChar {
                ch: 'é',
                position: 2
            })
        );
    }

    #[test]
    fn model_accepts_ids_and_links() {
        let want = "Tongyi-MAI/Z-Image-Turbo";
        for s in [
            "Tongyi-MAI/Z-Image-Turbo",
            "  Tongyi-MAI/Z-Image-Turbo \n",
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo",
            "http://huggingface.co/Tongyi-MAI/Z-Image-Turbo",
            "https://www.huggingface.co/Tongyi-MAI/Z-Image-Turbo",
            "HTTPS://HuggingFace.co/Tongyi-MAI/Z-Image-Turbo",
            "https://hf.co/Tongyi-MAI/Z-Image-Turbo",
            "hf.co/Tongyi-MAI/Z-Image-Turbo",
            "huggingface.co/Tongyi-MAI/Z-Image-Turbo",
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo/",
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo/tree/main",
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo/tree/main/transformer",
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo/blob/main/README.md",
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo/resolve/main/model.safetensors?download=true",
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo?library=diffusers",
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo#usage",
            "https://huggingface.co:443/Tongyi-MAI/Z-Image-Turbo",
            "https://huggingface.co/api/models/Tongyi-MAI/Z-Image-Turbo",
            "Tongyi-MAI/Z-Image-Turbo/",
        ] {
            assert_eq!(model(s), want, "{s}");
        }
        let m = ModelRef::parse("Qwen/Qwen3-Coder-Next").unwrap();
        assert_eq!((m.owner(), m.name()), ("Qwen", "Qwen3-Coder-Next"));
    }

    #[test]
    fn model_refuses_wrong_kinds_of_links() {
        let err = |s: &str| ModelRef::parse(s).unwrap_err();
        assert_eq!(
            err("https://huggingface.co/datasets/foo/bar"),
            RefError::DatasetLink {
                wanted: Wanted::Model
            }
        );
        assert_eq!(
            err("datasets/foo/bar"),
            RefError::DatasetLink {
                wanted: Wanted::Model
            }
        );
        assert_eq!(
            err("https://huggingface.co/spaces/foo/bar"),
            RefError::SpaceLinkForModel
        );
        assert_eq!(err("https://foo-bar.hf.space"), RefError::SpaceLinkForModel);
        assert_eq!(err("foo-bar.hf.space/"), RefError::SpaceLinkForModel);
        assert_eq!(
            err("https://huggingface.co/buckets/foo/bar"),
            RefError::BucketLink {
                wanted: Wanted::Model
            }
        );
        assert!(
            matches!(err("https://github.com/foo/bar"), RefError::OtherHost { host, .. } if host == "github.com")
        );
        assert!(matches!(
            err("github.com/foo/bar"),
            RefError::OtherHost { .. }
        ));
        assert!(matches!(
            err("https://evil.com@huggingface.co/foo/bar"),
            RefError::OtherHost { .. }
        ));
        assert!(matches!(
            err("https://huggingface.co.evil.com/foo/bar"),
            RefError::OtherHost { .. }
        ));
        assert!(matches!(
            err("ftp://huggingface.co/foo/bar"),
            RefError::OtherHost { .. }
        ));
        assert!(
            matches!(err("https://huggingface.co/docs/hub"), RefError::NotARepoPage { page, .. } if page == "docs")
        );
        assert!(matches!(
            err("https://huggingface.co/models?search=x"),
            RefError::NotARepoPage { .. }
        ));
        assert_eq!(
            err("   "),
            RefError::Empty {
                wanted: Wanted::Model
            }
        );
        assert_eq!(
            err("https://huggingface.co/"),
            RefError::Empty {
                wanted: Wanted::Model
            }
        );
        assert_eq!(
            err("a/b/c"),
            RefError::TooManyParts {
                wanted: Wanted::Model
            }
        );
        assert!(matches!(
            err("owner/na me"),
            RefError::BadName {
                part: Part::Name,
                ..
            }
        ));
        assert!(matches!(
            err("-owner/name"),
            RefError::BadName {
                part: Part::Owner,
                ..
            }
        ));
        assert!(matches!(
            err("owner/a--b"),
            RefError::BadName {
                problem: NameProblem::DoubleDash,
                ..
            }
        ));
    }

    #[test]
    fn single_segment_models_are_refused_with_a_hint() {
        let e = ModelRef::parse("gpt2").unwrap_err();
        assert_eq!(
            e,
            RefError::MissingOwner {
                name: "gpt2".into(),
                wanted: Wanted::Model,
                suggestion: Some("openai-community/gpt2")
            }
        );
        assert!(e.to_string().contains("`openai-community/gpt2`"));
        let e = ModelRef::parse("https://huggingface.co/bert-base-uncased/tree/main").unwrap_err();
        assert!(matches!(
            e,
            RefError::MissingOwner {
                suggestion: Some("google-bert/bert-base-uncased"),
                ..
            }
        ));
        let e = ModelRef::parse("some-model").unwrap_err();
        assert!(matches!(
            e,
            RefError::MissingOwner {
                suggestion: None,
                ..
            }
        ));
        assert!(e.to_string().contains("copy the `owner/name`"), "{e}");
    }

    #[test]
    fn error_messages_say_what_to_paste() {
        for (input, needle) in [
            ("https://huggingface.co/datasets/a/b", "dataset"),
            ("https://huggingface.co/spaces/a/b", "Validate"),
            ("https://example.com/a/b", "not Hugging Face"),
            ("a/b c", "position 2"),
        ] {
            let msg = ModelRef::parse(input).unwrap_err().to_string();
            assert!(msg.contains(needle), "{input}: {msg}");
            assert!(
                msg.contains("Paste") || msg.contains("paste") || msg.contains("Check"),
                "{input}: {msg}"
            );
        }
    }

    #[test]
    fn pasted_tokens_are_not_echoed_in_errors() {
        let token = "hf_abcdefghijklmnopqrstuvwxyz";
        let msg = ModelRef::parse(token).unwrap_err().to_string();
        assert!(!msg.contains(token), "{msg}");
        let msg = SpaceRef::parse(&format!("me/{token}x!"))
            .unwrap_err()
            .to_string();
        assert!(!msg.contains(token), "{msg}");
    }

    #[test]
    fn space_accepts_ids_links_and_app_hosts() {
        for (s, want) in [
            ("fffiloni/space-factory-z", "fffiloni/space-factory-z"),
            (
                " https://huggingface.co/spaces/fffiloni/space-factory-z ",
                "fffiloni/space-factory-z",
            ),
            (
                "https://huggingface.co/spaces/fffiloni/space-factory-z/tree/main",
                "fffiloni/space-factory-z",
            ),
            (
                "https://huggingface.co/spaces/fffiloni/space-factory-z?logs=build",
                "fffiloni/space-factory-z",
            ),
            ("hf.co/spaces/a/b/", "a/b"),
            ("spaces/a/b", "a/b"),
            ("https://alice-demo.hf.space", "alice/demo"),
            ("https://Alice-Demo.hf.space/?__theme=dark", "alice/demo"),
            ("alice-demo.hf.space", "alice/demo"),
        ] {
            assert_eq!(space(s), want, "{s}");
        }
    }

    #[test]
    fn space_refuses_ambiguous_and_wrong_links() {
        let err = |s: &str| SpaceRef::parse(s).unwrap_err();
        let e = err("https://fffiloni-space-factory-z.hf.space");
        assert!(matches!(e, RefError::AmbiguousSpaceHost { .. }));
        assert!(e.to_string().contains("owner/name"));
        assert!(matches!(
            err("https://demo.hf.space"),
            RefError::NotASpaceHost { .. }
        ));
        assert!(matches!(
            err("https://a.b-c.hf.space"),
            RefError::NotASpaceHost { .. }
        ));
        assert_eq!(
            err("https://huggingface.co/alice/model"),
            RefError::ModelLinkForSpace {
                owner: "alice".into(),
                name: "model".into()
            }
        );
        assert_eq!(
            err("https://huggingface.co/datasets/a/b"),
            RefError::DatasetLink {
                wanted: Wanted::Space
            }
        );
        assert!(matches!(
            err("https://huggingface.co/spaces/a"),
            RefError::NotARepoPage { .. }
        ));
        assert!(matches!(
            err("https://gitlab.com/a/b"),
            RefError::OtherHost { .. }
        ));
        assert!(matches!(
            err("demo"),
            RefError::MissingOwner {
                suggestion: None,
                wanted: Wanted::Space,
                ..
            }
        ));
        assert_eq!(
            err("a/b/c"),
            RefError::TooManyParts {
                wanted: Wanted::Space
            }
        );
        assert!(matches!(
            err("a/b..c"),
            RefError::BadName {
                problem: NameProblem::DoubleDot,
                ..
            }
        ));
        assert_eq!(
            err(""),
            RefError::Empty {
                wanted: Wanted::Space
            }
        );
    }

    #[test]
    fn namespaces_follow_the_owner_rule() {
        assert_eq!(Namespace::parse(" alice ").unwrap().as_str(), "alice");
        assert_eq!(
            BucketRef::parse("alice/runs").unwrap().namespace(),
            Namespace::parse("alice").unwrap()
        );
        assert_eq!(
            SpaceRef::parse("Org-1/app")
                .unwrap()
                .namespace()
                .to_string(),
            "Org-1"
        );
        for bad in ["", "a/b", "a--b", "-a", "a.", "a b", ".."] {
            let e = Namespace::parse(bad).unwrap_err().to_string();
            assert!(e.ends_with('.'), "{bad}: {e}");
        }
        assert!(
            Namespace::parse("al/ice")
                .unwrap_err()
                .to_string()
                .contains("`/`")
        );
    }

    #[test]
    fn subdomain_follows_the_hub() {
        let s = SpaceRef::new("Some_User", "My.Cool_App-2").unwrap();
        assert_eq!(s.subdomain(), "some-user-my-cool-app-2");
        assert_eq!(
            SpaceRef::parse("alice/demo").unwrap().subdomain(),
            "alice-demo"
        );
    }

    #[test]
    fn space_names() {
        assert_eq!(
            SpaceName::parse("  space-factory-z-image-v1 ")
                .unwrap()
                .as_str(),
            "space-factory-z-image-v1"
        );
        assert_eq!(
            SpaceName::parse(""),
            Err(RefError::Empty {
                wanted: Wanted::Space
            })
        );
        assert_eq!(
            SpaceName::parse("me/app"),
            Err(RefError::SpaceNameHasOwner { name: "app".into() })
        );
        assert_eq!(
            SpaceName::parse("https://huggingface.co/spaces/me/app/"),
            Err(RefError::SpaceNameHasOwner { name: "app".into() })
        );
        assert!(matches!(
            SpaceName::parse("app-"),
            Err(RefError::BadName { .. })
        ));
        let m = ModelRef::parse("Tongyi-MAI/Z-Image-Turbo").unwrap();
        assert_eq!(
            SpaceName::suggest_for(&m).as_str(),
            "space-factory-z-image-turbo"
        );
        let m = ModelRef::parse("a/Weird__Name.v2.").unwrap_err();
        assert!(matches!(m, RefError::BadName { .. }));
        let m = ModelRef::parse("a/Weird__Name.v2").unwrap();
        assert_eq!(
            SpaceName::suggest_for(&m).as_str(),
            "space-factory-weird-name-v2"
        );
        let long = ModelRef::new("a", &format!("{}x", "b-".repeat(47))).unwrap();
        let suggestion = SpaceName::suggest_for(&long);
        assert!(
            SpaceName::parse(suggestion.as_str()).is_ok(),
            "{suggestion}"
        );
    }

    #[test]
    fn buckets() {
        let b = BucketRef::parse("alice/space-factory-runs").unwrap();
        assert_eq!(b.uri(), "hf://buckets/alice/space-factory-runs");
        assert_eq!(b.id(), "alice/space-factory-runs");
        assert_eq!(
            BucketRef::parse("hf://buckets/alice/x/runs").unwrap().id(),
            "alice/x"
        );
        assert_eq!(
            BucketRef::parse("https://huggingface.co/buckets/alice/x/tree/runs")
                .unwrap()
                .id(),
            "alice/x"
        );
        assert!(matches!(
            BucketRef::parse("x"),
            Err(RefError::MissingOwner {
                wanted: Wanted::Bucket,
                ..
            })
        ));
        assert!(matches!(
            BucketRef::parse("https://huggingface.co/alice/x"),
            Err(RefError::NotARepoPage { .. })
        ));
        assert!(matches!(
            BucketRef::parse("a/b/c"),
            Err(RefError::TooManyParts { .. })
        ));
        assert!(matches!(
            BucketRef::parse("hf://buckets/"),
            Err(RefError::Empty { .. })
        ));
        assert_eq!(BucketName::default().as_str(), DEFAULT_BUCKET_NAME);
        assert_eq!(BucketName::parse(" runs ").unwrap().as_str(), "runs");
        assert!(matches!(
            BucketName::parse("a/b"),
            Err(RefError::BadName { .. })
        ));
        assert_eq!(
            BucketName::parse(""),
            Err(RefError::Empty {
                wanted: Wanted::Bucket
            })
        );
        let owned = BucketRef::in_namespace("alice", &BucketName::default()).unwrap();
        assert_eq!(owned.to_string(), "alice/space-factory-runs");
    }

    #[test]
    fn serde_as_strings() {
        let m: ModelRef = serde_json::from_str("\"a/b\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"a/b\"");
        assert!(serde_json::from_str::<ModelRef>("\"a\"").is_err());
        let s: SpaceRef = serde_json::from_str("\"a/b\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"a/b\"");
        let b: BucketRef = serde_json::from_str("\"a/b\"").unwrap();
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"a/b\"");
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_]([A-Za-z0-9_]|[-.][A-Za-z0-9_]){0,20}"
    }

    proptest! {
        #[test]
        fn valid_names_always_pass(n in name_strategy()) {
            prop_assert_eq!(check_name(&n), Ok(()));
        }

        #[test]
        fn check_name_matches_the_rules(s in "[A-Za-z0-9._ /-]{0,12}") {
            let ok = !s.is_empty()
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !s.contains("--") && !s.contains("..")
                && !s.starts_with(['-', '.']) && !s.ends_with(['-', '.']);
            prop_assert_eq!(check_name(&s).is_ok(), ok);
        }

        #[test]
        fn model_links_round_trip(owner in name_strategy(), name in name_strategy(),
                                  prefix in prop_oneof![Just("https://huggingface.co/"), Just("http://www.huggingface.co/"), Just("hf.co/"), Just(" HTTPS://HF.CO/")],
                                  suffix in prop_oneof![Just(""), Just("/"), Just("/tree/main"), Just("/blob/main/x.py"), Just("?a=b"), Just("#x"), Just(" ")]) {
            prop_assume!(!SITE_PAGES.contains(&owner.as_str()) && !["datasets", "spaces", "buckets", "api"].contains(&owner.as_str()));
            prop_assume!(!REPO_TABS.contains(&name.as_str()));
            let m = ModelRef::parse(&format!("{prefix}{owner}/{name}{suffix}")).unwrap();
            prop_assert_eq!(m.owner(), owner.as_str());
            prop_assert_eq!(m.name(), name.as_str());
        }

        #[test]
        fn bare_model_ids_round_trip(owner in name_strategy(), name in name_strategy()) {
            prop_assume!(!looks_like_host(&owner) && owner != "datasets" && owner != "spaces" && owner != "buckets");
            prop_assume!(!REPO_TABS.contains(&name.as_str()));
            let m = ModelRef::parse(&format!(" {owner}/{name}/ ")).unwrap();
            prop_assert_eq!(m.to_string(), format!("{owner}/{name}"));
        }

        #[test]
        fn space_links_round_trip(owner in name_strategy(), name in name_strategy()) {
            let r = SpaceRef::new(&owner, &name).unwrap();
            prop_assert_eq!(SpaceRef::parse(&format!("https://huggingface.co/spaces/{r}/")).unwrap(), r.clone());
            prop_assume!(!looks_like_host(&owner));
            prop_assert_eq!(SpaceRef::parse(&r.to_string()).unwrap(), r);
        }

        #[test]
        fn app_host_parses_only_when_unambiguous(owner in "[a-z0-9]{1,10}", name in "[a-z0-9]{1,10}(-[a-z0-9]{1,5})?") {
            let r = SpaceRef::new(&owner, &name).unwrap();
            let host = format!("https://{}.hf.space", r.subdomain());
            let parsed = SpaceRef::parse(&host);
            if name.contains('-') {
                let is_ambiguous = matches!(parsed, Err(RefError::AmbiguousSpaceHost { .. }));
                prop_assert!(is_ambiguous);
            } else {
                prop_assert_eq!(parsed.unwrap(), r);
            }
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,80}") {
            let _ = ModelRef::parse(&s).map_err(|e| e.to_string());
            let _ = SpaceRef::parse(&s).map_err(|e| e.to_string());
            let _ = SpaceName::parse(&s).map_err(|e| e.to_string());
            let _ = BucketRef::parse(&s).map_err(|e| e.to_string());
            let _ = BucketName::parse(&s).map_err(|e| e.to_string());
        }

        #[test]
        fn parsed_refs_always_have_valid_names(s in "(https://huggingface.co/|hf.co/spaces/|)[A-Za-z0-9_.-]{0,8}(/[A-Za-z0-9_.-]{0,8}){0,3}") {
            if let Ok(m) = ModelRef::parse(&s) {
                prop_assert!(check_name(m.owner()).is_ok() && check_name(m.name()).is_ok());
            }
            if let Ok(m) = SpaceRef::parse(&s) {
                prop_assert!(check_name(m.owner()).is_ok() && check_name(m.name()).is_ok());
            }
        }
    }
}

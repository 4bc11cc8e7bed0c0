//! Tests of `units.rs`: which blobs share an exec.

use super::*;

fn task(path: &str, size: u64) -> Task {
    Task {
        input: 0,
        path: path.into(),
        resolved: path.into(),
        dir: false,
        size,
        compression: Compression::None,
        pack: PackOptions::default(),
        layout: None,
    }
}

#[test]
fn big_files_and_directories_alone_small_files_together() {
    let mut docs = task("docs", 10);
    docs.dir = true;
    let tasks = vec![
        task("README.md", 3_000),
        task("shard-1.safetensors", 1 << 30),
        task("config.json", 500),
        docs,
        task("shard-2.safetensors", 1 << 30),
    ];
    let units = split(&tasks);
    let shapes: Vec<(Vec<usize>, bool)> =
        units.iter().map(|u| (u.tasks.clone(), u.whole)).collect();
    assert_eq!(
        shapes,
        [
            (vec![0, 2], false),
            (vec![1], false),
            (vec![3], false),
            (vec![4], false)
        ]
    );
    assert_eq!(units[1].bytes(&tasks), 1 << 30);
}

#[test]
fn many_small_files_mount_their_input_whole() {
    let tasks: Vec<Task> = (0..=MAX_SELECTED)
        .map(|i| task(&format!("f{i}"), 1))
        .collect();
    let units = split(&tasks);
    assert_eq!(units.len(), 1);
    assert!(units[0].whole);
    let fewer = split(&tasks[..MAX_SELECTED]);
    assert!(!fewer[0].whole);
}

#[test]
fn many_big_files_share_execs_by_path_the_same_way_every_time() {
    let tasks: Vec<Task> = (0..200)
        .map(|i| task(&format!("w/{i}.bin"), BIG_FILE))
        .collect();
    let units = split(&tasks);
    assert!(units.len() <= MAX_SEPARATE, "{}", units.len());
    assert_eq!(units.iter().map(|u| u.tasks.len()).sum::<usize>(), 200);
    assert_eq!(units, split(&tasks), "the same split every build");
    // Replacing one file's content leaves every unit's paths as they were.
    let mut changed = tasks.clone();
    changed[7].size += 1;
    assert_eq!(split(&changed), units);
}

#[test]
fn paths_inside_each_other_are_not_mounted_one_by_one() {
    let mut a = task("a", 1);
    a.dir = true;
    let tasks = vec![task("a-x", 1), task("a/b", 1), a];
    assert!(nested(&tasks, &[0, 1, 2]));
    assert!(!nested(&tasks, &[0, 1]));
    assert!(nested(&[task("x", 1), task("x", 1)], &[0, 1]));
}

/// What each unit writes, by path in order, with `skip` left out.
fn by_path(tasks: &[Task], units: &[Unit], skip: &str) -> Vec<Vec<String>> {
    let mut shapes: Vec<Vec<String>> = units
        .iter()
        .map(|u| {
            u.tasks
                .iter()
                .map(|&t| tasks[t].path.clone())
                .filter(|p| p != skip)
                .collect()
        })
        .filter(|u: &Vec<String>| !u.is_empty())
        .collect();
    shapes.sort();
    shapes
}

#[test]
fn a_unit_is_the_same_whatever_else_the_plan_holds() {
    let tasks: Vec<Task> = (0..200)
        .map(|i| task(&format!("w/{i:03}.bin"), BIG_FILE))
        .collect();
    let units = split(&tasks);
    // A file added in front, every line moved to a second input (a `FROM`
    // line above them) and their order reversed.
    let mut other: Vec<Task> = tasks
        .iter()
        .rev()
        .map(|t| Task {
            input: 1,
            ..t.clone()
        })
        .collect();
    other.insert(0, task("w/new.bin", BIG_FILE));
    let moved = split(&other);
    assert_eq!(
        by_path(&tasks, &units, ""),
        by_path(&other, &moved, "w/new.bin")
    );
    // The small files' unit too.
    let small = vec![task("b", 1), task("a", 1), task("c", 1)];
    let reversed: Vec<Task> = small.iter().rev().cloned().collect();
    assert_eq!(
        by_path(&small, &split(&small), ""),
        by_path(&reversed, &split(&reversed), "")
    );
    assert_eq!(by_path(&small, &split(&small), ""), [["a", "b", "c"]]);
}

#[test]
fn a_step_says_what_it_hashes_and_what_it_copies_and_checks() {
    let from_base = |path: &str, size: u64| Task {
        layout: Some("layout \"base\"".into()),
        ..task(path, size)
    };
    let tasks = vec![
        from_base("blobs/sha256/aa", 1 << 20),
        from_base("blobs/sha256/bb", 1 << 20),
        from_base("blobs/sha256/cc", 1 << 20),
        task("adapter.safetensors", 1 << 20),
        task("notes.md", 0),
    ];
    let unit = |tasks: Vec<usize>| Unit {
        tasks,
        whole: false,
    };
    // The adapter example: the base's blobs are copied and checked, only
    // the adapter is hashed as new.
    assert_eq!(
        unit(vec![0, 1, 2, 3]).name(&tasks),
        "[artifact] hashing and writing adapter.safetensors, copying and checking 3 blobs of \
         layout \"base\" (4.0 MiB)"
    );
    assert_eq!(
        unit(vec![3, 4]).name(&tasks),
        "[artifact] hashing and writing 2 files (1.0 MiB)"
    );
    assert_eq!(
        unit(vec![0]).name(&tasks),
        "[artifact] copying and checking 1 blob of layout \"base\" (1.0 MiB)"
    );
    let mut other = from_base("blobs/sha256/dd", 0);
    other.layout = Some("layout \"other\"".into());
    let mut two = tasks.clone();
    two.push(other);
    assert_eq!(
        unit(vec![0, 5]).name(&two),
        "[artifact] copying and checking 2 blobs of 2 layouts (1.0 MiB)"
    );
}

//! The README's run command: the tour walks every operation against the local fakes.

/// The operations of our three specs.
fn operations_in_the_specs() -> usize {
    ["emnify", "dintero", "plex"]
        .iter()
        .map(|vendor| {
            let path = format!("{}/../openapi/{vendor}.yaml", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            let spec: openapiv3::OpenAPI = serde_yaml_ng::from_str(&text).unwrap();
            spec.operations().count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_runs_every_operation_of_the_specs_successfully() {
    let report = workspace_tests::tour::run().await.unwrap();
    let failed: Vec<String> = report
        .rows
        .iter()
        .filter(|r| !r.ok)
        .map(ToString::to_string)
        .collect();
    assert!(failed.is_empty(), "failed steps:\n{}", failed.join("\n"));
    let mut operations = report.succeeded();
    operations.sort();
    assert_eq!(
        operations.len(),
        operations_in_the_specs(),
        "{operations:?}"
    );
    assert!(
        report.rows.iter().all(|r| r.status.is_some()),
        "no step was skipped"
    );
}

//! The README's run command: the tour walks every operation against the local fakes.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_runs_all_fifteen_operations_successfully() {
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
    assert_eq!(operations.len(), 15, "{operations:?}");
    assert!(
        report.rows.iter().all(|r| r.status.is_some()),
        "no step was skipped"
    );
}

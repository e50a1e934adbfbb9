"""Many cells at once: convert and analyse a whole archive into one queryable Parquet dataset.

* :func:`lilean.batch.dataset.run_batch` (``lilean batch``): every cycler file under a folder or
  glob -> a hive-partitioned Parquet dataset (raw tables, per-cycle summaries, cell metadata,
  per-file status), content-hash cache, failures recorded per file, resumable after a kill;
* :func:`lilean.batch.dataset.open_dataset` / :func:`lilean.batch.dataset.query`: DuckDB (embedded)
  on the dataset in place;
* :func:`lilean.batch.compare.group_statistics` / :func:`lilean.batch.compare.plot_groups`
  (``lilean compare``): mean and spread of retention, CE, capacity, polarisation vs cycle per group;
* :func:`lilean.batch.export.write_summary`: a per-cycle summary to CSV, Parquet or Excel.
"""

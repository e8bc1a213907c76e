"""Starting the processes: `juzhu serve` (make run), `juzhu rasa` / `juzhu actions`, the cluster (make cluster)."""

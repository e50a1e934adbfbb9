"""Design-space sweeps of the digital twin on Dask, streamed to Parquet, with Sobol sensitivity.

A *sweep spec* (TOML) names one experiment of :mod:`lilean.simulate`, the inputs to vary and how
(a full-factorial grid, a Latin hypercube, a scrambled Sobol sequence, or a Saltelli design for
Sobol indices), and the scalar outputs to keep (:data:`OUTPUTS`)::

    [sweep]
    experiment = "cycling"          # cycling | rate | symmetric | nucleation | eis
    design = "grid"                 # grid | lhs | sobol | saltelli
    samples = 64                    # lhs / sobol: points; saltelli: base N (N (D + 2) cases)
    seed = 0                        # seeds the sampler (and nothing else)
    chunk_size = 50                 # rows per Parquet part file
    outputs = ["cycles_to_80_percent", "final_retention_percent"]
    params = "mine.toml"            # optional parameter file (relative to the spec)

    [fixed]                         # simulate-function arguments held constant
    cathode_loading_mAh_cm2 = 0.4
    cycles = 300

    [parameters]                    # what varies
    substrate = { values = ["cu", "ag-cu"] }        # categorical: crossed with the design
    c_rate = { values = [0.5, 1, 2] }               # grid values
    li_inventory_mAh_cm2 = { range = [2, 12] }       # continuous: lhs / sobol / saltelli
    "substrates.cu.anode.cycling_loss_fraction" = { range = [0.01, 0.05], log = true }

A parameter name with a dot is a parameter-set name applied with
:meth:`lilean.parameters.ParameterSet.replace`; any other name is a keyword argument of the
experiment's simulate function. In a ``grid`` design every parameter gives ``values`` (or
``range`` + ``num`` for evenly spaced points, ``log = true`` for geometric spacing). In sampled
designs ``range`` parameters span the unit hypercube that the sampler fills (scipy.stats.qmc
``LatinHypercube`` / ``Sobol``, SALib ``sobol.sample`` for ``saltelli``; log-uniform when
``log = true``) and ``values`` parameters are crossed with every sample (not allowed with
``saltelli``, whose case order the Sobol estimator depends on).

Execution (:func:`run_sweep`): cases go to a dask.distributed cluster (an embedded
``LocalCluster`` of ``workers`` single-threaded processes, or an existing scheduler by address),
at most ``4 x workers`` in flight, so the driver holds only the cases in flight plus one chunk of
finished rows. Each finished chunk is written atomically as ``OUT/part-NNNNN.parquet`` (a folder
dataset that ``pandas.read_parquet(OUT)`` and ``pyarrow.dataset`` read; the manifest is
``OUT/_sweep.json``, which every Parquet reader skips); a crash or Ctrl-C loses at most the cases in
flight and the unwritten chunk. Every case has a stable id (sha256 of the experiment, fixed
arguments, case inputs and parameter-set hash), so ``resume=True`` skips cases already on disk.
A case that raises is recorded with its ``error`` (outputs NaN) and the sweep goes on.

Sensitivity (:func:`sobol_indices`): first-order and total Sobol indices of one output over a
``saltelli`` sweep, by SALib's estimator (Saltelli et al., Comput. Phys. Commun. 181, 259 (2010);
Sobol', Math. Comput. Simul. 55, 271 (2001)): ``S1_i = V[E(Y|X_i)] / V(Y)``,
``ST_i = E[V(Y|X_~i)] / V(Y)``, with bootstrap confidence intervals.

Dask and SALib are the optional extra ``sweep`` (``pip install 'lilean[sweep]'``).
"""

from __future__ import annotations

from lilean.sweep.cases import (
    EXPERIMENTS,
    META_COLUMNS,
    OUTPUTS,
    Output,
    SweepError,
    case_id,
    experiment_arguments,
    require_sweep_extra,
    run_case,
)
from lilean.sweep.run import (
    SweepInterrupted,
    SweepSummary,
    auto_batch_size,
    make_client,
    run_sweep,
)
from lilean.sweep.sobol import plot_sobol, sobol_indices
from lilean.sweep.spec import DESIGNS, Dimension, SweepSpec, load_spec, spec_from_mapping
from lilean.sweep.store import (
    MANIFEST,
    PART_GLOB,
    finished_case_ids,
    load_results,
    spec_hash,
    verify_parts,
)

__all__ = [
    "DESIGNS",
    "EXPERIMENTS",
    "MANIFEST",
    "META_COLUMNS",
    "OUTPUTS",
    "PART_GLOB",
    "Dimension",
    "Output",
    "SweepError",
    "SweepInterrupted",
    "SweepSpec",
    "SweepSummary",
    "auto_batch_size",
    "case_id",
    "experiment_arguments",
    "finished_case_ids",
    "load_results",
    "load_spec",
    "make_client",
    "plot_sobol",
    "require_sweep_extra",
    "run_case",
    "run_sweep",
    "sobol_indices",
    "spec_from_mapping",
    "spec_hash",
    "verify_parts",
]

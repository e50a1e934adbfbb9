"""Recorded references for every registered real data file, from independent readers (never
lilean's own output), in one table used by every real-file test.

References: ``extern/`` rows from the last column of ``extern/PROVENANCE.md`` (galvani 0.5.0 for
.mpr, the BTSDA export kept in fastnda's tests for Neware binaries, mdbtools for Arbin .res,
python-calamine for BTSDA .xlsx, gamry-parser, pandas for text exports); the older files from
``PROVENANCE.md`` (rows, voltage window as printed there) and, where noted, computed here once with
an independent reader and transcribed: galvani ``MPRfile`` (rows with ``freq/Hz == 0``, sums of
``dq/mA.h`` by sign), NewareNDA 2026.6.11 (sum over (Cycle, Step) of the max of
``Charge_/Discharge_Capacity(mAh)``), pandas on Arbin CSV (per cycle, last minus first value of
``Charge_/Discharge_Capacity``, the counters run on from before the file starts).

Capacities are the file's totals over cycles, in mAh; lilean's must be within 2 % of the
instrument's counter (absolute floor 1e-4 mAh). ``None``: no reference for that quantity.
"""

from __future__ import annotations

from dataclasses import dataclass

from lilean.testing.data import names


@dataclass(frozen=True)
class Ref:
    rows: int | None
    v_min: float | None
    v_max: float | None
    v_tol: float  # the reference's printed precision
    charge_mAh: float | None = None
    discharge_mAh: float | None = None
    source: str = ""


GALVANI = "galvani 0.5.0 MPRfile"
NDA = "NewareNDA 2026.6.11"
PROV = "PROVENANCE.md"
XPROV = "extern/PROVENANCE.md"

READ: dict[str, Ref] = {
    # ---- extern/ (reference reader column of extern/PROVENANCE.md) ----
    "extern/biologic/test_C01.mpr": Ref(18001, 0.04709, 0.04754, 5e-6, None, None, XPROV),
    "extern/biologic/250116_kigr_gen6_01_01_GCPL_CD8.mpr": Ref(
        392, 0.2883, 2.002, 5e-4, 0.0002506, 0.0, XPROV
    ),
    "extern/biologic/Sample_data_biologic_no_header.mpt": Ref(
        13, 2.934, 2.981, 5e-4, 0.0, 0.0, XPROV
    ),
    "extern/neware/2-1-6_61[07005012].nda": Ref(15567, 3.967, 4.088, 5e-4, 0.0, 299.8, XPROV),
    "extern/neware/TESTCELL0001-Test_Data_Collection_Ndc17.ndax": Ref(
        80, 3.566, 3.611, 5e-4, 4.167, 4.167, XPROV
    ),
    "extern/neware/interp-test.ndax": Ref(333, 0.0002, 0.0002, 5e-5, 0.0, 0.0, XPROV),
    "extern/neware/interp-test.csv": Ref(333, 0.0002, 0.0002, 5e-5, 0.0, 0.0, XPROV),
    "extern/neware/scrubbed_ndc2.ndax": Ref(28, -3.45, -3.312, 5e-3, 0.0, 0.0, XPROV),
    "extern/neware/nda_v22.nda": Ref(1380, 1.81, 2.4, 5e-3, 118.4, 0.0, XPROV),
    "extern/neware/nda_v8.nda": Ref(21, 1.747, 2.122, 5e-4, 0.0, 0.3082, XPROV),
    "extern/neware/GMJuly2022_CELL002_RPT_3_P0C_5P0PSI_20230110_R0_CH041_20230110143333"
    "_37_2_1_2818580185.xlsx": Ref(2833, 3.449, 4.118, 5e-4, 785.9, 0.0, XPROV),
    "extern/arbin/aux_one_x_dx.res": Ref(7235, 3.739, 4.2, 5e-4, 1596, 0.0, XPROV),
    "extern/arbin/sample_data_arbin.csv": Ref(13, 3.535, 3.6, 5e-4, 0.4008, 0.02044, XPROV),
    "extern/maccor/PredictionDiagnostics_000109_tztest.010": Ref(
        2165, 2.7, 4.4, 5e-3, 6780, 6046, XPROV
    ),
    "extern/maccor/maccor_test_file_4267-66-6519.041": Ref(74, 3.908, 3.912, 5e-4, 0.0, 0.0, XPROV),
    "extern/novonix/test_Nova_Form-CH01-01_short.csv": Ref(
        3942, 0.1371, 3.427, 5e-4, 29.47, 0.0, XPROV
    ),
    "extern/other/Test25205.csv": Ref(489, 0.06397, 3.683, 5e-4, 0.012, 0.021, XPROV),
    "extern/gamry/cv_data.dta": Ref(50, 0.49, 0.898, 5e-4, None, None, XPROV),
    # ---- the older files ----
    "biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr": Ref(
        46102, 1.999903, 3.8000646, 1e-6, 5.7213, 5.4452, GALVANI
    ),
    "biologic/00_test_04_MB_C01.mpr": Ref(1501, -1.6502141, -1.6500461, 1e-6, 0.0, 0.0, GALVANI),
    "biologic/biol.mpr": Ref(23251, 0.12335346, 0.99989927, 1e-6, 4.9769, 0.0, GALVANI),
    "biologic/Sample_data_biologic_01_MB_CA1.txt": Ref(1397, None, None, 0.0, None, None, PROV),
    "neware/test.nda": Ref(439, -0.101, -0.0849, 5e-5, 0.0007, 0.0071, NDA),
    "neware/test.ndax": Ref(1464, 1.4995, 4.3998, 5e-5, 0.593, 0.6255, NDA),
    "neware/TestFile.nda": Ref(6670, 1.720593, 4.200059, 1e-6, 11626.115, 9596.814, NDA),
    "neware/123456789012_Unit27_Example_Data_File.ndax": Ref(
        301, 2.9826972, 2.9830532, 1e-6, 0.0, 0.0, NDA
    ),
    "neware/nw4-120-6-1-36.ndax": Ref(7257, 2.7497554, 4.200567, 1e-6, 156.1939, 190.2145, NDA),
    "neware/neware_uio.csv": Ref(9065, 0.05, 2.96, 5e-3, None, None, PROV),
    "neware/custom_data_003.xls": Ref(2943, 0.05, 2.375, 5e-3, None, None, PROV),
    # no independent reader parsed the nested export (PROVENANCE.md): it must read, unchecked
    "neware/nw_regular_export_ife_example.csv": Ref(None, 4.3185, None, 5e-5, None, None, PROV),
    "arbin/arbin_example.res": Ref(2150, 3.0, 4.3, 5e-3, None, None, PROV),
    "arbin/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx": Ref(
        4526, 0.05, 2.64, 5e-3, None, None, PROV
    ),
    "arbin/2017-05-09_test-TC-contact_CH33.csv": Ref(
        287, 3.298668, 3.600004, 1e-6, 603.0917, 0.0, "pandas.read_csv"
    ),
    "arbin/arbin_example.csv": Ref(2142, 1.9995637, 3.6003604, 1e-6, 1264.43, 2145.27, "pandas"),
    "land/custom_data_002.xlsx": Ref(16538, 0.05, 3.08, 1e-2, None, None, PROV),
    "maccor/maccor_two.txt": Ref(213, None, None, 0.0, None, None, PROV),
    "maccor/PredictionDiagnostics_000151_test.052": Ref(333, None, None, 0.0, None, None, PROV),
    "maccor/maccor_example.001": Ref(8, None, None, 0.0, None, None, PROV),
    "other/sample_data_basytec.txt": Ref(74, None, None, 0.0, None, None, PROV),
    "other/sample_data_novonix.csv": Ref(207, None, None, 0.0, None, None, PROV),
}

#: files that are not time-domain cycler data, and what the one-line refusal must say
REFUSED: dict[str, str] = {
    **{n: "not time-domain cycler data" for n in names("eis")},
    "eis/exampleDataBioLogic.mpt": "impedance data",
    "extern/eis/exampleDataIvium.idf": "not time-domain cycler data",
    "arbin/2017-05-09_test-TC-contact_CH33_Metadata.csv": "unrecognised file format",
    "land/custom_002.yml": "unrecognised file format",
    "neware/custom_003.yml": "unrecognised file format",
}

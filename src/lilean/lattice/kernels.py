r"""numba kernels of the lattice models: random numbers, neighbours, the plume and Li walkers.

All kernels of both lattice models live in this one file on purpose: numba's on-disk cache
(``cache=True``) is keyed on the defining file, so a kernel that called njit functions of another
file would keep stale callee code after that file changed. With every kernel here no cache needs
to be deleted at import.

Conventions
-----------
* Occupancy arrays are ``uint8`` of shape (nz, ny, nx) (2D models use ny = 1), codes in
  :mod:`lilean.lattice.codes`; x and y are periodic, z is open (below ``z = 0`` counts as solid).
* Directions ``d = 0..5`` are +z, -z, +x, -x, +y, -y (:data:`DZ`, :data:`DX`, :data:`DY`); a 2D
  lattice uses the first four. ``d ^ 1`` is the opposite direction.
* Periodic indices use :func:`wrap` (one compare and one add, no integer division): every step
  moves by one voxel, so ``-n <= i < 2 n`` always holds.

Random numbers
--------------
Each kernel call owns one splitmix64 generator (Steele, Lea & Flood, "Fast splittable
pseudorandom number generators", OOPSLA 2014; the generator behind Java's ``SplittableRandom``,
passes BigCrush): a 64-bit state advanced by a constant add (:func:`rng_next`), the number being
a bijective mix of the state (two multiplies, three xor-shifts; no integer division). The state is
seeded from the call's integer seed (:func:`seed_state`), so the same seed gives the same walk.
Integers in ``[0, n)`` use the multiply-shift map of Lemire (ACM Trans. Model. Comput. Simul. 29,
3 (2019)) on the top 32 bits (bias < n / 2^32, exact for powers of two such as the 4 or 6
directions), uniform floats the top 53 bits. (xorshift64* was tried first: its plume process map
differed from numpy's Mersenne Twister by ~3 standard errors at 6 seeds; with splitmix64 the
surface-area factor at 1 wt% / 2 min and 0.5 wt% / 8 min (128 columns, 16 seeds) agrees with the
Mersenne Twister within one standard error.)

The Li walker (:func:`deposit_li_chunk`) draws one number per step and splits it: the top 32 bits
decide the reaction (:func:`reaction_thresholds`), the low 32 bits the direction
(:func:`move_direction`, looked up by its top 10 bits in :func:`direction_table`: the same
direction for every number, so the same stream and the same deposit). This stream replaced one with a separate number for the reaction and
one for the move (before 2026-12): the same seed now gives a different deposit than it did then,
with the same statistics (16 seeds, 2D Ag@Cu and Cu to 10 mAh/cm^2: the means of 35 morphology
descriptors of the two versions agree within 1.3 standard errors).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from lilean.lattice.codes import AG, AGCUF3, CU, EMPTY, LI, LIAG

DZ = np.array([1, -1, 0, 0, 0, 0], dtype=np.int64)
"""z step of direction d (d = 0..5: +z, -z, +x, -x, +y, -y)."""
DX = np.array([0, 0, 1, -1, 0, 0], dtype=np.int64)
"""x step of direction d."""
DY = np.array([0, 0, 0, 0, 1, -1], dtype=np.int64)
"""y step of direction d."""

_MASK64 = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SH11 = np.uint64(11)
_SH27 = np.uint64(27)
_SH30 = np.uint64(30)
_SH31 = np.uint64(31)
_SH32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_METAL_BITS = (1 << CU) | (1 << AG)
_LI_SEI = 6  # SEI-passivated Li, only in the deposition work lattice (never returned)
_FRESH_LI_BITS = (1 << LI) | (1 << LIAG)
_TWO_M53 = 1.0 / 9007199254740992.0


def seed_state(seed: int) -> np.uint64:
    """Generator state from an integer seed: the splitmix64 mix of ``seed`` (any int; 64-bit)."""
    z = (int(seed) + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    z ^= z >> 31
    return np.uint64(z)


@numba.njit(cache=True)
def rng_next(s: np.uint64) -> np.uint64:
    """Advance a splitmix64 state by one step (``s + 0x9E3779B97F4A7C15`` mod 2^64); the number
    itself is :func:`rand_below` / :func:`rand_unit` of the new state."""
    return s + _GOLDEN


@numba.njit(cache=True)
def _mix(s: np.uint64) -> np.uint64:
    """splitmix64 output function (Steele, Lea & Flood, OOPSLA 2014): a bijective 64-bit mix."""
    z = (s ^ (s >> _SH30)) * _MIX1
    z = (z ^ (z >> _SH27)) * _MIX2
    return z ^ (z >> _SH31)


@numba.njit(cache=True)
def rand_below(s: np.uint64, n: int) -> int:
    """Integer in ``[0, n)`` (``n < 2**32``) from state ``s``: ``(top32(mix(s)) * n) >> 32``."""
    return int(np.int64(((_mix(s) >> _SH32) * np.uint64(n)) >> _SH32))


@numba.njit(cache=True)
def rand_unit(s: np.uint64) -> float:
    """Float in ``[0, 1)`` from state ``s`` (top 53 bits of ``mix(s)``)."""
    return np.float64(_mix(s) >> _SH11) * _TWO_M53


@numba.njit(cache=True)
def wrap(i: int, n: int) -> int:
    """Periodic index ``i mod n`` for ``-n <= i < 2 n`` without integer division."""
    if i < 0:
        return i + n
    if i >= n:
        return i - n
    return i


@numba.njit(cache=True)
def solid_neighbours(occ: np.ndarray, z: int, y: int, x: int, ndir: int) -> int:
    """Number of non-``EMPTY`` face neighbours of voxel ``(z, y, x)`` among the first ``ndir``
    directions (4: the 2D lattice, 6: 3D).

    Below ``z = 0`` counts as solid (the substrate continues), above the top as empty.
    """
    nz, ny, nx = occ.shape
    # unrolled over the directions (no loop, no table look-ups): this runs on every Cu2+ step
    # and twice per coarsening attempt
    n = 1 if z == 0 else int(occ[z - 1, y, x] != EMPTY)
    if z + 1 < nz:
        n += int(occ[z + 1, y, x] != EMPTY)
    n += int(occ[z, y, wrap(x + 1, nx)] != EMPTY) + int(occ[z, y, wrap(x - 1, nx)] != EMPTY)
    if ndir == 6:
        n += int(occ[z, wrap(y + 1, ny), x] != EMPTY) + int(occ[z, wrap(y - 1, ny), x] != EMPTY)
    return n


@numba.njit(cache=True)
def is_conductor(code: int) -> bool:
    """Electronically conducting voxel: Cu, Ag, Li or Li-Ag (or SEI-covered Li inside a kernel)."""
    return code == CU or code == AG or code == LI or code == LIAG or code == _LI_SEI


@numba.njit(cache=True)
def exposed(occ: np.ndarray, z: int, y: int, x: int, ndir: int) -> bool:
    """Whether voxel ``(z, y, x)`` has an ``EMPTY`` face neighbour."""
    nz, ny, nx = occ.shape
    for d in range(ndir):
        zz = z + DZ[d]
        if zz < 0 or zz >= nz:
            continue
        if occ[zz, wrap(y + DY[d], ny), wrap(x + DX[d], nx)] == EMPTY:
            return True
    return False


@numba.njit(cache=True)
def find_exposed_cu(
    occ: np.ndarray, cu_top: np.ndarray, y: int, x: int, radius: int, ndir: int, s: np.uint64
) -> tuple[int, int, np.uint64]:
    """An exposed Cu column near (y, x): ``(y, x, state)``, ``(-1, -1, state)`` if none anywhere.

    Twelve random columns within ``radius`` first, then a scan of all columns from a random start.
    Called once per galvanic event (not per walker step), so ``%`` is acceptable here.
    """
    _nz, ny, nx = occ.shape
    span = 2 * radius + 1
    for _ in range(12):
        s = rng_next(s)
        dx = rand_below(s, span) - radius
        dy = 0
        if ny > 1:
            s = rng_next(s)
            dy = rand_below(s, span) - radius
        yy = (y + dy) % ny
        xx = (x + dx) % nx
        z = cu_top[yy, xx]
        if z >= 0 and exposed(occ, z, yy, xx, ndir):
            return yy, xx, s
    n_cols = ny * nx
    s = rng_next(s)
    idx = rand_below(s, n_cols)
    for _k in range(n_cols):
        idx += 1
        if idx >= n_cols:
            idx = 0
        yy = idx // nx
        xx = idx - yy * nx
        z = cu_top[yy, xx]
        if z >= 0 and exposed(occ, z, yy, xx, ndir):
            return yy, xx, s
    return -1, -1, s


@numba.njit(cache=True)
def grow_plume_slice(
    occ: np.ndarray,
    cu_top: np.ndarray,
    ag_pos: np.ndarray,
    state: np.ndarray,
    n_events: int,
    hop_attempts: int,
    p_red: float,
    w_lat: float,
    p_prec: float,
    beta_j: float,
    radius: int,
    rng_state: np.uint64,
) -> None:
    """Ag plume growth: ``n_events`` Ag+ walkers (with their Cu2+), then ``hop_attempts`` hops.

    Physics in :mod:`lilean.lattice.plumes`. ``state`` = [zmax, n_ag, events_done, updates,
    n_prec, failed, ion_steps, hop_attempts] (int64, updated in place). ``updates`` counts site
    updates: Ag+ walker steps, Cu2+ walker steps and coarsening attempts.
    """
    s = rng_state
    nz, ny, nx = occ.shape
    ndir = 6 if ny > 1 else 4
    gap = 5
    # an Ag+ walker that finds no reactive (unblocked) metal within this many steps returns to the
    # bulk: the surface it explores is covered by AgCuF3 (bounds the cost in 3D)
    max_steps = 2_000_000 if ny == 1 else 100_000
    # a Cu2+ excursion longer than this counts as lost to the bulk (bounds the cost in 3D)
    max_ion_steps = 200_000 if ny == 1 else 20_000
    zmax = state[0]
    n_ag = state[1]
    updates = state[3]
    ion_steps = state[6]
    for _ev in range(n_events):
        # ---- Ag+ walker (carries 2 Ag+) ----
        z = min(zmax + gap, nz - 2)
        s = rng_next(s)
        y = rand_below(s, ny)
        s = rng_next(s)
        x = rand_below(s, nx)
        reacted = False
        for _s in range(max_steps):
            s = rng_next(s)
            d = rand_below(s, ndir)
            zz = z + DZ[d]
            updates += 1
            if zz >= nz - 1 or zz > zmax + 3 * gap:
                z = min(zmax + gap, nz - 2)
                s = rng_next(s)
                y = rand_below(s, ny)
                s = rng_next(s)
                x = rand_below(s, nx)
                continue
            if zz < 0:
                continue
            yy = wrap(y + DY[d], ny)
            xx = wrap(x + DX[d], nx)
            if occ[zz, yy, xx] != EMPTY:
                continue
            z, y, x = zz, yy, xx
            if z > zmax + 1:
                continue  # no solid within one voxel: nothing to attach to
            # cheap pre-test (unrolled bit mask of the neighbour codes): no Cu or Ag next to the
            # walker means no attachment; the exact weights below run only next to metal
            zdn = z - 1 if z > 0 else z
            seen = (
                (1 << occ[z + 1, y, x])
                | (1 << occ[zdn, y, x])
                | (1 << occ[z, y, wrap(x + 1, nx)])
                | (1 << occ[z, y, wrap(x - 1, nx)])
            )
            if ndir == 6:
                seen |= (1 << occ[z, wrap(y + 1, ny), x]) | (1 << occ[z, wrap(y - 1, ny), x])
            if not seen & _METAL_BITS:
                continue
            # attachment weight from metal neighbours (AgCuF3 blocks)
            w = 0.0
            up = -1
            for k in range(ndir):
                z2 = z + DZ[k]
                if z2 < 0 or z2 >= nz:
                    continue
                c = occ[z2, wrap(y + DY[k], ny), wrap(x + DX[k], nx)]
                if c == CU or c == AG:
                    wk = 1.0 if k == 1 else w_lat
                    if wk > w:
                        w = wk
                        up = k ^ 1  # opposite direction: continue the growth
            if w == 0.0:
                continue
            s = rng_next(s)
            if rand_unit(s) >= p_red * w:
                continue
            # second Ag site: continue the growth direction, else any empty neighbour
            z2 = z + DZ[up]
            y2 = wrap(y + DY[up], ny)
            x2 = wrap(x + DX[up], nx)
            if z2 >= nz - 1 or z2 < 0 or occ[z2, y2, x2] != EMPTY:
                z2 = -1
                s = rng_next(s)
                k = rand_below(s, ndir)
                for _kk in range(ndir):
                    zt = z + DZ[k]
                    if 0 <= zt < nz - 1:
                        yt = wrap(y + DY[k], ny)
                        xt = wrap(x + DX[k], nx)
                        if occ[zt, yt, xt] == EMPTY:
                            z2, y2, x2 = zt, yt, xt
                            break
                    k += 1
                    if k == ndir:
                        k = 0
            if z2 < 0:
                continue
            cy, cx, s = find_exposed_cu(occ, cu_top, y, x, radius, ndir, s)
            if cy < 0:
                state[5] += 1
                break
            # the event: Cu -> Cu2+ + 2e-, 2 Ag+ + 2e- -> 2 Ag
            cz = cu_top[cy, cx]
            occ[cz, cy, cx] = EMPTY
            cu_top[cy, cx] = cz - 1
            occ[z, y, x] = AG
            occ[z2, y2, x2] = AG
            ag_pos[n_ag, 0] = z
            ag_pos[n_ag, 1] = y
            ag_pos[n_ag, 2] = x
            ag_pos[n_ag + 1, 0] = z2
            ag_pos[n_ag + 1, 1] = y2
            ag_pos[n_ag + 1, 2] = x2
            n_ag += 2
            zmax = max(zmax, z, z2)
            state[2] += 1
            reacted = True
            # ---- Cu2+ walker: precipitates AgCuF3 next to a solid, or escapes ----
            qz, qy, qx = cz, cy, cx
            for _q in range(max_ion_steps):
                updates += 1
                ion_steps += 1
                if solid_neighbours(occ, qz, qy, qx, ndir) > 0:
                    s = rng_next(s)
                    if rand_unit(s) < p_prec:
                        occ[qz, qy, qx] = AGCUF3
                        state[4] += 1
                        zmax = max(zmax, qz)
                        break
                s = rng_next(s)
                d = rand_below(s, ndir)
                zz = qz + DZ[d]
                if zz > zmax + gap or zz >= nz - 1:
                    break  # lost to the bulk solution
                if zz < 0:
                    continue
                yy = wrap(qy + DY[d], ny)
                xx = wrap(qx + DX[d], nx)
                if occ[zz, yy, xx] != EMPTY:
                    continue
                qz, qy, qx = zz, yy, xx
            break
        if not reacted and state[5] > 0:
            break
    # ---- coarsening: bond-counting surface diffusion of Ag ----
    if n_ag > 0:
        for _h in range(hop_attempts):
            updates += 1
            state[7] += 1
            s = rng_next(s)
            i = rand_below(s, n_ag)
            z = ag_pos[i, 0]
            y = ag_pos[i, 1]
            x = ag_pos[i, 2]
            s = rng_next(s)
            d = rand_below(s, ndir)
            zz = z + DZ[d]
            if zz < 0 or zz >= nz - 1:
                continue
            yy = wrap(y + DY[d], ny)
            xx = wrap(x + DX[d], nx)
            if occ[zz, yy, xx] != EMPTY:
                continue
            n_old = solid_neighbours(occ, z, y, x, ndir)
            occ[z, y, x] = EMPTY
            n_new = solid_neighbours(occ, zz, yy, xx, ndir)
            if n_new == 0:
                occ[z, y, x] = AG
                continue
            dn = n_old - n_new
            if dn > 0:
                s = rng_next(s)
                if rand_unit(s) >= math.exp(-beta_j * dn):
                    occ[z, y, x] = AG
                    continue
            occ[zz, yy, xx] = AG
            ag_pos[i, 0] = zz
            ag_pos[i, 1] = yy
            ag_pos[i, 2] = xx
            zmax = max(zmax, zz)
    state[0] = zmax
    state[1] = n_ag
    state[3] = updates
    state[6] = ion_steps


# ---- Li deposition ------------------------------------------------------------------------------
#
# The walker runs on a work lattice ``w`` (uint16, shape (nz, ny, nx)) that packs, per voxel, its
# code (bits 0-2) and the set of codes among its face neighbours (bits 3-9: bit 3 + c for code c >= 1,
# see :func:`_neighbour_bits`). One load of the voxel a walker steps onto then tells both whether the
# step is free and, for the next step, whether a reaction can happen there (which neighbours). The
# neighbour bits are updated locally whenever a voxel changes code (a Li deposit, an Ag voxel turning
# Li-Ag, fresh Li turning SEI-covered), never by a pass over the lattice. Invariant: the code and the
# free bits (9-14) of every voxel, and the neighbour-code bits (3-8) of every electrolyte voxel, are
# exact; the neighbour-code bits of a solid voxel are never read (walkers and the surface
# relaxation stand on electrolyte, solids never turn back into electrolyte), so a solid voxel changing code to another solid code
# (:func:`_recode_solid_flat`) refreshes its electrolyte neighbours only. SEI-covered Li carries its
# own code (``LI_SEI``) in ``w``; :func:`deposit_codes` turns it back into ``LI`` for the caller.
# The barrier-free reacting area (faces of fresh Li, Li-Ag and Ag towards electrolyte) is kept as a
# face count, updated with the same local events.

LI_SEI = _LI_SEI
"""Code of SEI-covered Li in the deposition work lattice (never in an array returned to callers)."""
_CODE = np.uint16(7)
_SOLID_BITS = 0x1F8  # bits 3..8: codes 1..6 among the neighbours
_FREE_SHIFT = 9  # bits 9..14: the walker may step in direction d (0..5)
_BIT_AG = 1 << (3 + AG - 1)
_BIT_CU = 1 << (3 + CU - 1)
_BIT_FRESH = (1 << (3 + LI - 1)) | (1 << (3 + LIAG - 1))
_BIT_SEI = 1 << (3 + _LI_SEI - 1)
_BIT_CONDUCTOR = (
    (1 << (2 + CU)) | (1 << (2 + AG)) | (1 << (2 + LI)) | (1 << (2 + LIAG)) | (1 << (2 + _LI_SEI))
)


@numba.njit(cache=True, inline="always")
def _is_active(code: int) -> bool:
    """Barrier-free reacting voxel: fresh Li, Li-Ag or Ag (bare Cu needs the nucleation barrier)."""
    return code == LI or code == LIAG or code == AG


@numba.njit(cache=True)
def _neighbour_bits(w: np.ndarray, z: int, y: int, x: int, ndir: int) -> int:
    """Neighbour bits of voxel ``(z, y, x)``: bit ``2 + c`` set when a face neighbour has code
    ``c >= 1`` (below ``z = 0`` and above the top count as electrolyte: no bit), and bit
    ``_FREE_SHIFT + d`` set when the neighbour in direction ``d`` exists and is electrolyte (a
    walker may step there)."""
    nz, ny, nx = w.shape
    b = 0
    for d in range(ndir):
        zz = z + DZ[d]
        if zz < 0 or zz >= nz:
            continue
        c = int(w[zz, wrap(y + DY[d], ny), wrap(x + DX[d], nx)] & _CODE)
        b |= (1 << (2 + c)) if c else (1 << (_FREE_SHIFT + d))  # a select, not a branch
    return b


@numba.njit(cache=True)
def _set_code(w: np.ndarray, z: int, y: int, x: int, code: int, ndir: int) -> None:
    """Give voxel ``(z, y, x)`` a new code and refresh the neighbour bits around it."""
    nz, ny, nx = w.shape
    w[z, y, x] = (w[z, y, x] & ~_CODE) | code
    for d in range(ndir):
        zz = z + DZ[d]
        if zz < 0 or zz >= nz:
            continue
        yy = wrap(y + DY[d], ny)
        xx = wrap(x + DX[d], nx)
        w[zz, yy, xx] = (w[zz, yy, xx] & _CODE) | _neighbour_bits(w, zz, yy, xx, ndir)


_POPCOUNT6 = np.array([bin(m).count("1") for m in range(64)], dtype=np.int64)


@numba.njit(cache=True, inline="always")
def _free_count(word: int) -> int:
    """Free directions of a work-lattice word: its faces towards electrolyte (a table look-up of
    the 6 free bits; no loop, no branch)."""
    return _POPCOUNT6[(word >> _FREE_SHIFT) & 0x3F]


@numba.njit(cache=True)
def _refresh_rows(w: np.ndarray, z_from: int, z_to: int) -> None:
    """Recompute the neighbour bits of every voxel of heights ``z_from .. z_to - 1``."""
    _nz, ny, nx = w.shape
    ndir = 6 if ny > 1 else 4
    for z in range(z_from, z_to):
        for y in range(ny):
            for x in range(nx):
                w[z, y, x] = (w[z, y, x] & _CODE) | _neighbour_bits(w, z, y, x, ndir)


@numba.njit(cache=True)
def _fill_electrolyte_rows(w: np.ndarray, z_from: int, z_to: int, ndir: int) -> None:
    """Words of rows ``z_from .. z_to - 1`` when these rows and the row below ``z_from`` hold only
    electrolyte: every existing neighbour is a free direction (no +z one in the top row); the same
    as :func:`_refresh_rows` there, without reading the neighbours."""
    nz = w.shape[0]
    all_free = 0
    for d in range(ndir):
        all_free |= 1 << (_FREE_SHIFT + d)
    for z in range(max(z_from, 0), z_to):
        word = all_free
        if z + 1 >= nz:
            word &= ~(1 << _FREE_SHIFT)  # no neighbour above the top
        if z == 0:
            word &= ~(1 << (_FREE_SHIFT + 1))  # none below z = 0
        w[z] = word


@numba.njit(cache=True)
def init_deposit_lattice(occ: np.ndarray, top: int) -> tuple[np.ndarray, int]:
    """The work lattice (uint16, same shape) of the codes ``occ`` (uint8, no Li yet; electrolyte
    above height ``top``) and its barrier-free reacting face count (see :func:`deposit_li_chunk`)."""
    nz, ny, nx = occ.shape
    ndir = 6 if ny > 1 else 4
    w = np.zeros(occ.shape, np.uint16)
    z_solid = min(max(top + 2, 0), nz)  # rows from here up hold only electrolyte
    for z in range(z_solid):
        for y in range(ny):
            for x in range(nx):
                w[z, y, x] = occ[z, y, x]
    # the neighbour bits of rows 0 .. z_solid - 1 (:func:`_refresh_rows`, by flat index)
    wf = w.reshape(-1)
    st = step_table(ny, nx)
    top_row = (nz - 1) * ny * nx
    i = 0
    for _z in range(z_solid):
        for y in range(ny):
            ys = np.uint64((nx + y) << _STEP_SHIFT)
            for x in range(nx):
                xs = np.uint64(x << _STEP_SHIFT)
                wf[i] = (wf[i] & _CODE) | _neighbour_bits_flat(wf, st, i, xs, ys, ndir, top_row)
                i += 1
    _fill_electrolyte_rows(w, z_solid, nz, ndir)
    # faces towards electrolyte = the free directions of each reacting voxel's word
    faces = 0
    for i in range(min(top + 1, nz) * ny * nx):
        if _is_active(wf[i] & _CODE):
            faces += _free_count(int(wf[i]))
    return w, faces


@numba.njit(cache=True)
def grow_deposit_lattice(w: np.ndarray, extra: int) -> np.ndarray:
    """The work lattice ``w`` with ``extra`` rows of electrolyte added on top."""
    nz, ny, nx = w.shape
    out = np.zeros((nz + extra, ny, nx), np.uint16)
    out[:nz] = w
    _refresh_rows(out, nz - 1, nz + 1)
    _fill_electrolyte_rows(out, nz + 1, nz + extra, 6 if ny > 1 else 4)
    return out


_SITE_SHIFT_Z = 40
_SITE_SHIFT_Y = 20
_SITE_MASK = (1 << 20) - 1


@numba.njit(cache=True, inline="always")
def pack_site(z: int, y: int, x: int) -> int:
    """One int64 for voxel ``(z, y, x)``: ``z << 40 | y << 20 | x`` (x, y < 2^20; unpacked with
    shifts and masks, no integer division)."""
    return (z << _SITE_SHIFT_Z) | (y << _SITE_SHIFT_Y) | x


@numba.njit(cache=True)
def passivate_li(w: np.ndarray, li_site: np.ndarray, first: int, last: int, faces: int) -> int:
    """Cover with SEI the Li born as walkers ``first .. last - 1`` (``li_site[k]``: the Li voxel
    of walker k as :func:`pack_site`, -1 when that walker alloyed Ag); returns the updated
    reacting face count (an SEI-covered voxel no longer reacts barrier-free)."""
    nz, ny, nx = w.shape
    ndir = 6 if ny > 1 else 4
    wf = w.reshape(-1)
    st = step_table(ny, nx)
    top = (nz - 1) * ny * nx
    for k in range(max(first, 0), last):
        p = li_site[k]
        if p < 0:
            continue
        z = p >> _SITE_SHIFT_Z
        y = (p >> _SITE_SHIFT_Y) & _SITE_MASK
        x = p & _SITE_MASK
        i = (z * ny + y) * nx + x
        word = int(wf[i])
        if word & _CODE != LI:
            continue
        faces -= _free_count(word)  # its faces towards electrolyte
        xs = np.uint64(x << _STEP_SHIFT)
        ys = np.uint64((nx + y) << _STEP_SHIFT)
        _recode_solid_flat(wf, st, i, xs, ys, _LI_SEI, ndir, top)
    return faces


@numba.njit(cache=True)
def deposit_codes(w: np.ndarray, top: int) -> np.ndarray:
    """The codes of the work lattice up to height ``top`` (uint8; SEI-covered Li as ``LI``)."""
    _nz, ny, nx = w.shape
    out = np.empty((top, ny, nx), np.uint8)
    for z in range(top):
        for y in range(ny):
            for x in range(nx):
                c = w[z, y, x] & _CODE
                out[z, y, x] = LI if c == _LI_SEI else c
    return out


@numba.njit(cache=True)
def reaction_thresholds(p_li: float, p_cu: float, p_old: float) -> np.ndarray:
    """Per set of neighbour codes (bits 3-8 of a work-lattice word, shifted down: index
    ``(word >> 3) & 63``), the reaction threshold ``T`` on a 32-bit uniform integer ``u``: the walker
    reacts when ``u < T``. ``T = 2^32`` (always) next to Ag (barrier-free alloying), else
    ``floor(p 2^32)`` with ``p = p_Li`` next to fresh Li or Li-Ag, ``p_old`` next to SEI-covered Li
    only, raised to ``p_Cu`` next to bare Cu; 0 (never) next to no conductor."""
    out = np.zeros(64, np.uint64)
    for m in range(64):
        bits = m << 3
        if bits & _BIT_AG:
            out[m] = np.uint64(4294967296)
            continue
        p = 0.0
        if bits & _BIT_FRESH:
            p = p_li
        elif bits & _BIT_SEI:
            p = p_old
        if (bits & _BIT_CU) and p_cu > p:
            p = p_cu
        out[m] = np.uint64(min(max(p, 0.0), 1.0) * 4294967296.0)
    return out


@numba.njit(cache=True)
def move_thresholds(bias: float, ndir: int) -> np.ndarray:
    """Cumulative thresholds ``C_1 .. C_5`` (uint64, on a 32-bit uniform integer) of the walker's
    direction: ``d = 1`` (towards the electrode) with probability ``b + (1 - b) / ndir``, every
    other direction ``(1 - b) / ndir`` (drift share ``b``, else a random neighbour); entries past
    ``ndir - 1`` are ``2^32`` (never reached)."""
    b = min(max(bias, 0.0), 1.0)
    q = (1.0 - b) / ndir
    out = np.full(5, np.uint64(4294967296))
    cum = 0.0
    for d in range(ndir - 1):
        cum += b + q if d == 1 else q
        out[d] = np.uint64(min(cum, 1.0) * 4294967296.0)
    return out


@numba.njit(cache=True, inline="always")
def move_direction(r: np.uint64, c: np.ndarray) -> int:
    """Walker direction from the low 32 bits ``u`` of the random number ``r``, without a branch or a
    division: ``d = sum_k [u >= C_k]`` over the thresholds of :func:`move_thresholds` (exact to
    ``2^-32`` per direction)."""
    u = r & _LOW32
    return int(u >= c[0]) + int(u >= c[1]) + int(u >= c[2]) + int(u >= c[3]) + int(u >= c[4])


_DIR_BITS = 10
_DIR_SHIFT = np.uint64(32 - _DIR_BITS)
_DIR_AMBIGUOUS = 255
_ONE = np.uint64(1)
_STEP_SHIFT = 4  # a coordinate c is kept as c << 4: its row of 8 direction entry pairs


@numba.njit(cache=True)
def direction_table(c: np.ndarray) -> np.ndarray:
    """Walker direction by the top 10 bits of the 32-bit uniform ``u`` (uint8, 1024 entries):
    ``d = sum_k [u >= C_k]`` (:func:`move_direction` on the thresholds ``c`` of
    :func:`move_thresholds`) where that is the same for every ``u`` of the bin, else 255 (a bin
    that holds a threshold: at most 5 of the 1024; the caller then takes :func:`move_direction`)."""
    n = 1 << _DIR_BITS
    width = 1 << (32 - _DIR_BITS)
    out = np.empty(n, np.uint8)
    for b in range(n):
        lo = b * width
        hi = lo + width - 1
        d = 0
        ambiguous = False
        for k in range(5):
            ck = int(c[k])
            if ck <= lo:
                d += 1
            elif ck <= hi:
                ambiguous = True
        out[b] = _DIR_AMBIGUOUS if ambiguous else d
    return out


@numba.njit(cache=True)
def table_direction(r: np.uint64, dtab: np.ndarray, c: np.ndarray) -> int:
    """:func:`move_direction` of the random number ``r`` (thresholds ``c``) by the bin of its
    low 32 bits in ``dtab`` (:func:`direction_table`), the compares only in a bin that holds a
    threshold: the same direction for every ``r``."""
    d = int(dtab[(r & _LOW32) >> _DIR_SHIFT])
    if d == _DIR_AMBIGUOUS:
        d = move_direction(r, c)
    return d


@numba.njit(cache=True)
def step_table(ny: int, nx: int) -> np.ndarray:
    """The walker's periodic steps without a branch or a division (int64): per x (0..nx-1) and
    direction d, at ``16 x + 2 d`` the key of x after the step and at ``16 x + 2 d + 1`` the change
    of the flat index ``(z ny + y) nx + x`` by the x and z parts of the step; per y, at
    ``16 (nx + y) + 2 d`` and ``+ 1`` the same for y (its key and its part of the index change).
    The key of x is ``16 x``, that of y ``16 (nx + y)``: the start of its row of entries."""
    out = np.zeros((nx + ny) << _STEP_SHIFT, np.int64)
    plane = ny * nx
    for x in range(nx):
        for d in range(6):
            xn = wrap(x + DX[d], nx)
            out[(x << _STEP_SHIFT) + 2 * d] = xn << _STEP_SHIFT
            out[(x << _STEP_SHIFT) + 2 * d + 1] = xn - x + DZ[d] * plane
    for y in range(ny):
        for d in range(6):
            yn = wrap(y + DY[d], ny)
            out[((nx + y) << _STEP_SHIFT) + 2 * d] = (nx + yn) << _STEP_SHIFT
            out[((nx + y) << _STEP_SHIFT) + 2 * d + 1] = (yn - y) * nx
    return out


@numba.njit(cache=True)
def deposit_li_chunk(
    w: np.ndarray,
    alloy: np.ndarray,
    li_site: np.ndarray,
    n_walkers: int,
    p_li: float,
    p_cu: float,
    alloy_cap: float,
    bias: float,
    hops: int,
    rng_state: np.uint64,
    hmax0: int,
    count0: int,
    passive: float,
    max_steps: int,
    launch_gap: int,
    faces0: int,
) -> tuple[int, int, bool, int, int]:
    """Li deposition: ``n_walkers`` Li+ walkers on the work lattice ``w`` (physics in
    :mod:`lilean.lattice.deposition`; lattice layout in the comment above).

    Returns ``(walkers done, highest solid z, stalled, walker steps, reacting face count)``. Stops
    early (done < n_walkers) when the deposit comes within ``2 launch_gap + 2`` voxels of the top,
    or (stalled True) when one walker took more than ``max_steps`` steps without being reduced.
    Walker ``count0 + k`` that deposits Li records its voxel in ``li_site`` (:func:`pack_site`).
    ``faces0`` (from :func:`init_deposit_lattice` / :func:`passivate_li`) is the number of faces
    of fresh Li, Li-Ag and Ag towards electrolyte; the returned count includes this call's Li.

    One step (one site update) = one reaction attempt and, without a reaction, one move attempt,
    both from one 64-bit random number: its top 32 bits against the reaction threshold of the
    voxel's neighbour codes (:func:`reaction_thresholds`, a table look-up with the word already
    loaded; 0 away from the deposit), its low 32 bits for the direction (:func:`move_direction`:
    towards the electrode with probability ``bias + (1 - bias) / ndir``, each other direction
    ``(1 - bias) / ndir``; by its top 10 bits in :func:`direction_table`, the five compares only
    in the <= 5 of 1024 bins that hold a threshold). The walker keeps its flat index
    ``i = (z ny + y) nx + x`` and the keys of x and y in :func:`step_table`: a move is two table
    look-ups for the index change and the new keys (periodic sides included; no multiply, no
    integer division) and one load of the target's word. A move is made only where the free bit
    of the current word allows it: a branch (predicted well away from the deposit, where the
    walker moves freely), cheaper than the branch-free select it replaced, whose dependency chain
    ran through the target's word every step. The reaction (surface relaxation, face count,
    neighbour bits) works on flat indices too; one ``i // (ny nx)`` per reaction gives z.
    """
    s = rng_state
    nz, ny, nx = w.shape
    wf = w.reshape(-1)
    plane = ny * nx
    ndir = 6 if ny > 1 else 4
    hmax = hmax0
    faces = faces0
    done = 0
    total_steps = 0
    thr = reaction_thresholds(p_li, p_cu, p_li * passive)
    move_c = move_thresholds(bias, ndir)
    dtab = direction_table(move_c)
    st = step_table(ny, nx)
    y_key0 = nx << _STEP_SHIFT
    ag_i = np.empty(6, np.int64)  # flat index and direction of each Ag neighbour
    ag_k = np.empty(6, np.int64)
    af = alloy.reshape(-1)
    top = (nz - 1) * plane  # i >= top: the top row
    narrow = nx < 3 or (ndir == 6 and ny < 3)  # a voxel can be its own neighbour twice
    while done < n_walkers:
        if hmax + 2 * launch_gap + 2 >= nz:
            break
        z0 = hmax + launch_gap
        i_out = (z0 + launch_gap + 1) * plane  # i >= i_out: z > z0 + launch_gap, wandered away
        s = rng_next(s)
        x = rand_below(s, nx)
        s = rng_next(s)
        y = rand_below(s, ny)
        i = (z0 * ny + y) * nx + x
        xs = np.uint64(x << _STEP_SHIFT)
        ys = np.uint64(y_key0 + (y << _STEP_SHIFT))
        cur = np.int64(wf[i])
        left = max_steps
        while True:
            left -= 1
            if left < 0:
                return done, hmax, True, total_steps + max_steps + 1, faces
            s = rng_next(s)
            r = _mix(s)
            if (r >> _SH32) < thr[(cur >> 3) & 63]:  # a reaction
                if cur & _BIT_AG:  # barrier-free Li-Ag alloying on a random Ag neighbour
                    n_ag = 0
                    for d in range(ndir):
                        kx = xs + np.uint64(2 * d)
                        ky = ys + np.uint64(2 * d)
                        nb = i + st[kx + _ONE] + st[ky + _ONE]  # < 0: below z = 0, none
                        ag_i[n_ag] = nb
                        ag_k[n_ag] = d
                        n_ag += int(nb >= 0 and wf[np.uint64(max(nb, 0))] & _CODE == AG)
                    k = 0
                    if n_ag > 1:
                        s = rng_next(s)
                        k = rand_below(s, n_ag)
                    a = ag_i[k]
                    af[a] += 1.0
                    if af[a] >= alloy_cap:  # both react freely
                        d2 = np.uint64(2 * ag_k[k])
                        axs = np.uint64(st[xs + d2])
                        ays = np.uint64(st[ys + d2])
                        _recode_solid_flat(wf, st, a, axs, ays, LIAG, ndir, top)
                    done += 1
                    break
                ci, cxs, cys = _relax_site_flat(wf, st, i, xs, ys, hops, ndir, top)
                faces -= _active_faces_flat(wf, st, ci, cxs, cys, ndir, top, plane)
                cz = ci // plane  # once per walker
                cy = int(np.int64(cys) - y_key0) >> _STEP_SHIFT
                cx = int(np.int64(cxs)) >> _STEP_SHIFT
                if narrow:
                    _set_code(w, cz, cy, cx, LI, ndir)
                else:
                    _fill_empty_flat(wf, st, ci, cxs, cys, LI, ndir, top, plane)
                faces += _free_count(int(wf[ci]))  # its faces to electrolyte
                li_site[count0 + done] = pack_site(cz, cy, cx)
                if cz > hmax:
                    hmax = cz
                done += 1
                break
            # ---- move: only to electrolyte (the free bit of the current word)
            d = int(dtab[(r & _LOW32) >> _DIR_SHIFT])  # table_direction, written out: a call
            if d == _DIR_AMBIGUOUS:  # passing arrays would add reference counting to each step
                d = move_direction(r, move_c)
            if (cur >> (_FREE_SHIFT + d)) & 1:
                kx = xs + np.uint64(2 * d)
                ky = ys + np.uint64(2 * d)
                i += st[kx + _ONE] + st[ky + _ONE]
                xs = np.uint64(st[kx])
                ys = np.uint64(st[ky])
                cur = np.int64(wf[np.uint64(i)])
                if i >= i_out:  # wandered away: re-inject at the launch plane
                    s = rng_next(s)
                    x = rand_below(s, nx)
                    s = rng_next(s)
                    y = rand_below(s, ny)
                    i = (z0 * ny + y) * nx + x
                    xs = np.uint64(x << _STEP_SHIFT)
                    ys = np.uint64(y_key0 + (y << _STEP_SHIFT))
                    cur = np.int64(wf[i])
        total_steps += max_steps - left
    return done, hmax, False, total_steps, faces


@numba.njit(cache=True)
def _relax_site_flat(
    wf: np.ndarray,
    st: np.ndarray,
    i: int,
    xs: np.uint64,
    ys: np.uint64,
    hops: int,
    ndir: int,
    top: int,
) -> tuple[int, np.uint64, np.uint64]:
    """Surface relaxation of a fresh Li voxel at flat index ``i`` (keys ``xs``, ``ys`` of
    :func:`step_table` ``st``; ``wf`` the flat work lattice, ``top`` the first index of its top
    row): up to ``hops`` moves to an empty neighbour with more solid neighbours that stays in
    contact with a conductor (other than the current site, which is electrolyte until the Li is
    placed, so the neighbour bits of the candidate tell); the first such neighbour in direction
    order when several have the most. Solid-neighbour count of a word at index ``j``:
    ``ndir - free directions - [j in the top row]`` (below ``z = 0`` counts as solid, above the
    top not, as in :func:`solid_neighbours`). Returns ``(index, xs, ys)`` of the site."""
    ci, cxs, cys = i, xs, ys
    for _ in range(hops):
        wc = int(wf[ci])
        best = ndir - _free_count(wc) - int(ci >= top)
        bi, bxs, bys = ci, cxs, cys
        for d in range(ndir):
            if not (wc >> (_FREE_SHIFT + d)) & 1:  # no neighbour there, or not electrolyte
                continue
            kx = cxs + np.uint64(2 * d)
            ky = cys + np.uint64(2 * d)
            nb = ci + st[kx + _ONE] + st[ky + _ONE]
            wn = int(wf[np.uint64(nb)])
            if not wn & _BIT_CONDUCTOR:
                continue
            ns = ndir - _free_count(wn) - int(nb >= top)  # the current site is still empty
            if ns > best:
                best = ns
                bi = nb
                bxs = np.uint64(st[kx])
                bys = np.uint64(st[ky])
        if bi == ci:
            break
        ci, cxs, cys = bi, bxs, bys
    return ci, cxs, cys


_ACTIVE_CODES = (1 << LI) | (1 << LIAG) | (1 << AG)


@numba.njit(cache=True)
def _has_neighbour(d: int, i: int, top: int, plane: int) -> bool:
    """Whether voxel ``i`` (flat index) has a neighbour in direction ``d``: all but +z in the top
    row and -z in the bottom row (x and y are periodic)."""
    return not ((d == 0 and i >= top) or (d == 1 and i < plane))


@numba.njit(cache=True)
def _active_faces_flat(
    wf: np.ndarray,
    st: np.ndarray,
    i: int,
    xs: np.uint64,
    ys: np.uint64,
    ndir: int,
    top: int,
    plane: int,
) -> int:
    """Face neighbours of voxel ``i`` (flat, keys ``xs``, ``ys`` of :func:`step_table` ``st``)
    that are barrier-free reacting voxels (fresh Li, Li-Ag, Ag)."""
    n = 0
    for d in range(ndir):
        if _has_neighbour(d, i, top, plane):
            nb = i + st[xs + np.uint64(2 * d + 1)] + st[ys + np.uint64(2 * d + 1)]
            n += (_ACTIVE_CODES >> int(wf[np.uint64(nb)] & _CODE)) & 1
    return n


@numba.njit(cache=True)
def _fill_empty_flat(
    wf: np.ndarray,
    st: np.ndarray,
    i: int,
    xs: np.uint64,
    ys: np.uint64,
    code: int,
    ndir: int,
    top: int,
    plane: int,
) -> None:
    """:func:`_set_code` for an electrolyte voxel turning solid, by flat index ``i`` (keys
    ``xs``, ``ys`` of :func:`step_table` ``st``): each neighbour gains the code's bit and loses
    the free direction towards it (no recomputation; lattices at least 3 voxels wide in x and y,
    else a voxel can be its own neighbour twice over and :func:`_set_code` is needed)."""
    wf[i] = (wf[i] & ~_CODE) | code
    add = 1 << (2 + code)
    for d in range(ndir):
        if _has_neighbour(d, i, top, plane):
            nb = np.uint64(i + st[xs + np.uint64(2 * d + 1)] + st[ys + np.uint64(2 * d + 1)])
            wf[nb] = (int(wf[nb]) | add) & ~(1 << (_FREE_SHIFT + (d ^ 1)))


@numba.njit(cache=True)
def _neighbour_bits_flat(
    wf: np.ndarray, st: np.ndarray, i: int, xs: np.uint64, ys: np.uint64, ndir: int, top: int
) -> int:
    """:func:`_neighbour_bits` of voxel ``i`` by flat index (keys ``xs``, ``ys`` of
    :func:`step_table` ``st``, ``top`` the first index of the top row)."""
    plane = len(wf) - top
    b = 0
    for d in range(ndir):
        if _has_neighbour(d, i, top, plane):
            nb = i + st[xs + np.uint64(2 * d + 1)] + st[ys + np.uint64(2 * d + 1)]
            c = int(wf[np.uint64(nb)] & _CODE)
            b |= (1 << (2 + c)) if c else (1 << (_FREE_SHIFT + d))  # a select, not a branch
    return b


@numba.njit(cache=True)
def _recode_solid_flat(
    wf: np.ndarray,
    st: np.ndarray,
    i: int,
    xs: np.uint64,
    ys: np.uint64,
    code: int,
    ndir: int,
    top: int,
) -> None:
    """A solid voxel ``i`` (flat index, keys ``xs``, ``ys`` of :func:`step_table` ``st``) taking
    another solid code (Ag -> Li-Ag, Li -> SEI-covered Li): no free bit changes anywhere, and only
    the electrolyte neighbours (the free directions of its own word) need their neighbour-code
    bits refreshed (see the invariant above)."""
    word = int(wf[i])
    wf[i] = (word & ~_CODE) | code
    free = (word >> _FREE_SHIFT) & 0x3F
    for d in range(ndir):
        if (free >> d) & 1:
            kx = xs + np.uint64(2 * d)
            ky = ys + np.uint64(2 * d)
            nb = np.uint64(i + st[kx + _ONE] + st[ky + _ONE])
            nxs = np.uint64(st[kx])
            nys = np.uint64(st[ky])
            wf[nb] = (wf[nb] & _CODE) | _neighbour_bits_flat(wf, st, int(nb), nxs, nys, ndir, top)


__all__ = [
    "AG",
    "AGCUF3",
    "CU",
    "DX",
    "DY",
    "DZ",
    "EMPTY",
    "LI",
    "LIAG",
    "LI_SEI",
    "deposit_codes",
    "deposit_li_chunk",
    "direction_table",
    "exposed",
    "find_exposed_cu",
    "grow_deposit_lattice",
    "grow_plume_slice",
    "init_deposit_lattice",
    "is_conductor",
    "move_direction",
    "move_thresholds",
    "pack_site",
    "passivate_li",
    "rand_below",
    "rand_unit",
    "reaction_thresholds",
    "rng_next",
    "seed_state",
    "solid_neighbours",
    "step_table",
    "table_direction",
    "wrap",
]

"""Life prediction beside the physics fit (:mod:`lilean.fitting`): the data-driven baseline."""

from lilean.fit.baseline import FEATURES, KneeRidge, early_features

__all__ = ["FEATURES", "KneeRidge", "early_features"]

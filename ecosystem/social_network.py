"""The investors' social network: who watches whom.

Investors herd on P2P platforms (domain.md s.6; Caglayan, Talavera and Zhang 2019) and
"herding spreads through the investor network" (domain.md s.4, channel 3). The network is
drawn once per run with networkx, as a small world (Watts and Strogatz 1998: a ring of
``social.mean_degree`` nearest neighbours with a share ``social.rewire_prob`` of ties
rewired at random) or a scale-free graph (Barabasi and Albert 1999: each newcomer ties to
``mean_degree / 2`` investors chosen in proportion to their degree, so a few investors
are watched by many). It is kept as a sparse CSR matrix (scipy) so that each week's
"what do my neighbours think and do" is one sparse product over the ties, not a loop
over investors (docs/design.md s.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

NONE, SMALL_WORLD, SCALE_FREE = 0, 1, 2


@dataclass
class SocialNetwork:
    """Ties between investors: row ``i`` of ``weights`` averages over i's neighbours."""

    weights: sp.csr_matrix      # row-normalized adjacency (rows of isolated investors: 0)
    owner: np.ndarray           # per tie (CSR order): the investor who watches
    neighbour: np.ndarray       # per tie: the investor watched

    @property
    def n(self) -> int:
        """Number of investors."""
        return self.weights.shape[0]

    def degrees(self) -> np.ndarray:
        """Number of neighbours of each investor."""
        return np.diff(self.weights.indptr)

    def mean_of_neighbours(self, values: np.ndarray, rows: np.ndarray | None = None,
                           ) -> np.ndarray:
        """Each investor's (or each of ``rows``') average of its neighbours' ``values``
        (one row per investor; 0 for an investor with no neighbours)."""
        w = self.weights if rows is None else self.weights[rows]
        return w @ values


def build(kind: int, n: int, mean_degree: int, rewire_prob: float,
          seed: int) -> SocialNetwork | None:
    """The network of ``n`` investors, or None when nobody watches anybody (``kind`` 0, or
    too few investors for a tie)."""
    if kind == NONE or n < 3:
        return None
    degree = min(mean_degree, n - 1)
    if kind == SMALL_WORLD:
        graph = nx.watts_strogatz_graph(n, max(2, degree - degree % 2), rewire_prob,
                                        seed=seed)
    elif kind == SCALE_FREE:
        graph = nx.barabasi_albert_graph(n, max(1, min(degree // 2, n - 1)), seed=seed)
    else:
        raise ValueError(f"social.network = {kind}: must be 0, 1 or 2")
    adjacency = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr",
                                         dtype=np.float64)
    return from_adjacency(sp.csr_matrix(adjacency))


def from_adjacency(adjacency: sp.csr_matrix) -> SocialNetwork:
    """Row-normalize a 0/1 adjacency matrix (also used by tests to hand-build networks)."""
    adjacency = sp.csr_matrix(adjacency, dtype=np.float64)
    adjacency.sum_duplicates()
    adjacency.sort_indices()
    degree = np.diff(adjacency.indptr)
    scale = np.divide(1.0, degree, out=np.zeros(len(degree)), where=degree > 0)
    weights = sp.csr_matrix(sp.diags(scale) @ adjacency)
    weights.sort_indices()
    owner = np.repeat(np.arange(weights.shape[0]), np.diff(weights.indptr))
    return SocialNetwork(weights, owner, weights.indices.astype(np.int64))

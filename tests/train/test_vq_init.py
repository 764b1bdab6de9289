"""The VQ codebook starts from k-means over the latents' support, not their density; its loss weights edges."""

from __future__ import annotations

import torch

from nodegraph.train.train_vq import EDGE_WEIGHT, edge_weights, kmeans, support_points


def test_support_points_keep_one_vector_per_occupied_cell():
    dense = torch.zeros(1000, 2) + 0.01 * torch.rand(1000, 2)  # one flat colour, many times over
    rare = torch.tensor([[3.0, 3.0], [3.02, 3.01], [-2.0, 1.0]])
    points = support_points(torch.cat([dense, rare]), cell=0.3)
    assert len(points) == 3
    assert {tuple(p.round().tolist()) for p in points} == {(0.0, 0.0), (3.0, 3.0), (-2.0, 1.0)}


def test_codes_spread_over_the_support_rather_than_the_density():
    generator = torch.Generator().manual_seed(0)
    dense = 0.05 * torch.randn(5000, 2, generator=generator)
    rare = torch.tensor([[4.0, 0.0], [0.0, 4.0], [-4.0, 0.0], [0.0, -4.0]])
    vectors = torch.cat([dense, rare])
    by_density = kmeans(vectors, 5, 12, seed=0)
    by_support = kmeans(support_points(vectors, cell=0.3), 5, 12, seed=0)

    def near_origin(codes: torch.Tensor) -> int:
        return int((codes.norm(dim=1) < 1).sum())

    assert near_origin(by_support) == 1  # one code for the flat colour, one for each rare latent
    assert near_origin(by_density) > 1


def test_edge_weights_mark_pixels_next_to_a_colour_jump_only():
    images = -torch.ones(1, 3, 16, 16)
    images[:, 0, 4:12, 4:12] = 1.0  # a red square on black
    weights = edge_weights(images)[0, 0]
    assert EDGE_WEIGHT > 0
    assert weights.shape == (16, 16)
    assert weights[0, 0] == 1 and weights[15, 15] == 1  # flat background far from the square
    assert weights[7, 7] == 1  # the square's flat middle
    assert weights[4, 6] == 1 + EDGE_WEIGHT and weights[3, 6] == 1 + EDGE_WEIGHT  # either side of the edge
    assert weights[2, 6] == 1 + EDGE_WEIGHT and weights[5, 6] == 1 + EDGE_WEIGHT  # dilated one pixel more
    assert weights[1, 6] == 1 and weights[6, 6] == 1

"""The synthetic dataset is deterministic by seed and its captions state what the pixels show."""

import numpy as np

from nodegraph.train.dataset import COLORS, ShapesDataset, held_out_combinations


def test_same_seed_same_samples_and_different_seed_differs():
    a, b, c = ShapesDataset(seed=3), ShapesDataset(seed=3), ShapesDataset(seed=4)
    for index in (0, 7, 123):
        assert np.array_equal(a[index].image, b[index].image)
        assert a[index].caption == b[index].caption
        assert a[index].attributes == b[index].attributes
    assert any(a[i].caption != c[i].caption for i in range(5))


def test_sample_contents_match_caption():
    dataset = ShapesDataset(seed=0)
    for index in range(200):
        sample = dataset[index]
        assert sample.image.shape == (64, 64, 3) and sample.image.dtype == np.uint8
        assert sample.mask.shape == (64, 64) and set(np.unique(sample.mask)) <= {0, 1}
        assert sample.edges.sum() > 0 and (sample.edges <= sample.mask).all()
        attributes = sample.attributes
        assert attributes.background in sample.caption
        for shape in attributes.shapes:
            assert shape.color != attributes.background
            assert shape.kind in sample.caption and shape.color in sample.caption
        border = np.concatenate([sample.image[0], sample.image[-1], sample.image[:, 0], sample.image[:, -1]])
        colors, counts = np.unique(border, axis=0, return_counts=True)
        assert tuple(colors[counts.argmax()]) == COLORS[attributes.background]


def test_evaluation_combinations_are_never_generated():
    held_out = held_out_combinations()
    assert len(held_out) >= 32
    dataset = ShapesDataset(seed=0)
    for index in range(3000):
        attributes = dataset[index].attributes
        first = attributes.shapes[0]
        key = (first.kind, first.color, first.size, first.position, attributes.background)
        assert key not in held_out

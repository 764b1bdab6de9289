"""Training resumes from its checkpoint and ends where an uninterrupted run ends."""

import torch

from nodegraph.train.loop import Phase, run_phase, seeded


def make_phase(steps: int) -> tuple[Phase, torch.nn.Linear]:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)

    def step_loss(step: int) -> torch.Tensor:
        x = torch.randn(8, 4, generator=seeded(0, step))
        return (model(x) - x.sum(1, keepdim=True)).pow(2).mean()

    return Phase("toy", steps, {"model": model}, step_loss, lr=1e-2, warmup=2), model


def test_resumed_run_matches_uninterrupted_run(tmp_path):
    straight, straight_model = make_phase(10)
    run_phase(straight, tmp_path / "a")
    first, _ = make_phase(10)
    assert not run_phase(first, tmp_path / "b", stop_at=4)  # as if interrupted after step 4
    resumed, resumed_model = make_phase(10)
    run_phase(resumed, tmp_path / "b")
    assert torch.allclose(straight_model.weight, resumed_model.weight)
    assert (tmp_path / "b" / "toy" / "log.jsonl").exists()

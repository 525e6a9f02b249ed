"""BibTeX for the benchmark, each dataset and each model (issue 20.6).

Why a table here: a reader who uses a number must be able to cite where it came from: the benchmark,
the dataset's own paper (not only the benchmark that packaged it) and the encoder's own paper (a
TorchSpatial run of Sphere2Vec cites Sphere2Vec, plus TorchSpatial as the source of the run).
Entries are keyed by paper; datasets and encoders map to keys. A name with no entry gets a @misc
built from the registry's citation text, so every page has something to paste.
"""

from __future__ import annotations

import re

from locbench.ids import slug

PAPERS: dict[str, str] = {
    "locbench": "@misc{locbench,\n  title = {locbench: a benchmark and leaderboard for location encoders and geo-foundation "
                "models with Geo-Bias Scores},\n  note = {Leaderboard versions are frozen; cite the version you used},\n}",
    "torchspatial": "@inproceedings{wu2024torchspatial,\n  title = {TorchSpatial: A Location Encoding Framework and Benchmark "
                    "for Spatial Representation Learning},\n  author = {Wu, Nemin and Cao, Qian and Wang, Zhangyu and Liu, "
                    "Zeping and Qi, Yanlin and Zhang, Jielu and Ni, Joshua and Yao, Xiaobai and Ma, Hongxu and Mu, Lan and "
                    "Ermon, Stefano and Ganu, Tanuja and Nambi, Akshay and Lao, Ni and Mai, Gengchen},\n  booktitle = "
                    "{NeurIPS Datasets and Benchmarks Track},\n  year = {2024},\n  eprint = {2406.15658},\n"
                    "  archivePrefix = {arXiv},\n}",
    "space2vec": "@inproceedings{mai2020space2vec,\n  title = {Multi-Scale Representation Learning for Spatial Feature "
                 "Distributions using Grid Cells},\n  author = {Mai, Gengchen and Janowicz, Krzysztof and Yan, Bo and Zhu, "
                 "Rui and Cai, Ling and Lao, Ni},\n  booktitle = {International Conference on Learning Representations "
                 "(ICLR)},\n  year = {2020},\n}",
    "sphere2vec": "@article{mai2023sphere2vec,\n  title = {Sphere2Vec: A General-Purpose Location Representation Learning "
                  "over a Spherical Surface for Large-Scale Geospatial Predictions},\n  author = {Mai, Gengchen and Xuan, "
                  "Yao and Zuo, Wenyun and He, Yutong and Song, Jiaming and Ermon, Stefano and Janowicz, Krzysztof and "
                  "Lao, Ni},\n  journal = {ISPRS Journal of Photogrammetry and Remote Sensing},\n  volume = {202},\n"
                  "  year = {2023},\n}",
    "tile": "@inproceedings{tang2015improving,\n  title = {Improving Image Classification with Location Context},\n"
            "  author = {Tang, Kevin and Paluri, Manohar and Fei-Fei, Li and Fergus, Rob and Bourdev, Lubomir},\n"
            "  booktitle = {IEEE International Conference on Computer Vision (ICCV)},\n  year = {2015},\n}",
    "wrap": "@inproceedings{macaodha2019presence,\n  title = {Presence-Only Geographical Priors for Fine-Grained Image "
            "Classification},\n  author = {Mac Aodha, Oisin and Cole, Elijah and Perona, Pietro},\n  booktitle = {IEEE/CVF "
            "International Conference on Computer Vision (ICCV)},\n  year = {2019},\n}",
    "rff": "@inproceedings{rahimi2007random,\n  title = {Random Features for Large-Scale Kernel Machines},\n  author = "
           "{Rahimi, Ali and Recht, Benjamin},\n  booktitle = {Advances in Neural Information Processing Systems},\n"
           "  year = {2007},\n}",
    "nerf": "@inproceedings{mildenhall2020nerf,\n  title = {NeRF: Representing Scenes as Neural Radiance Fields for View "
            "Synthesis},\n  author = {Mildenhall, Ben and Srinivasan, Pratul P. and Tancik, Matthew and Barron, Jonathan T. "
            "and Ramamoorthi, Ravi and Ng, Ren},\n  booktitle = {European Conference on Computer Vision (ECCV)},\n"
            "  year = {2020},\n}",
    "sh": "@inproceedings{russwurm2024geographic,\n  title = {Geographic Location Encoding with Spherical Harmonics and "
          "Sinusoidal Representation Networks},\n  author = {Ru{\\ss}wurm, Marc and Klemmer, Konstantin and Rolf, Esther "
          "and Zbinden, Robin and Tuia, Devis},\n  booktitle = {International Conference on Learning Representations "
          "(ICLR)},\n  year = {2024},\n}",
    "geoclip": "@inproceedings{vivanco2023geoclip,\n  title = {GeoCLIP: Clip-Inspired Alignment between Locations and Images "
               "for Effective Worldwide Geo-localization},\n  author = {Vivanco Cepeda, Vicente and Nayak, Gaurav Kumar and "
               "Shah, Mubarak},\n  booktitle = {Advances in Neural Information Processing Systems},\n  year = {2023},\n}",
    "gair": "@misc{liu2025gair,\n  title = {GAIR: Improving Multimodal Geo-Foundation Model with Geo-Aligned Implicit "
            "Representations},\n  author = {Liu, Zeping and Zhang, Jielu and Jiao, Wenhao and Lao, Ni and Mai, Gengchen},\n"
            "  year = {2025},\n  eprint = {2503.16683},\n  archivePrefix = {arXiv},\n}",
    "croma": "@inproceedings{fuller2023croma,\n  title = {CROMA: Remote Sensing Representations with Contrastive Radar-Optical "
             "Masked Autoencoders},\n  author = {Fuller, Anthony and Millard, Koreen and Green, James R.},\n  booktitle = "
             "{Advances in Neural Information Processing Systems},\n  year = {2023},\n}",
    "satmae": "@inproceedings{cong2022satmae,\n  title = {SatMAE: Pre-training Transformers for Temporal and Multi-Spectral "
              "Satellite Imagery},\n  author = {Cong, Yezhen and Khanna, Samar and Meng, Chenlin and Liu, Patrick and "
              "Rozi, Erik and He, Yutong and Burke, Marshall and Lobell, David B. and Ermon, Stefano},\n  booktitle = "
              "{Advances in Neural Information Processing Systems},\n  year = {2022},\n}",
    "gpt4o": "@misc{openai2024gpt4o,\n  title = {GPT-4o System Card},\n  author = {{OpenAI}},\n  year = {2024},\n"
             "  eprint = {2410.21276},\n  archivePrefix = {arXiv},\n}",
    "birdsnap": "@inproceedings{berg2014birdsnap,\n  title = {Birdsnap: Large-scale Fine-grained Visual Categorization of "
                "Birds},\n  author = {Berg, Thomas and Liu, Jiongxin and Lee, Seung Woo and Alexander, Michelle L. and "
                "Jacobs, David W. and Belhumeur, Peter N.},\n  booktitle = {IEEE Conference on Computer Vision and Pattern "
                "Recognition (CVPR)},\n  year = {2014},\n}",
    "nabirds": "@inproceedings{vanhorn2015nabirds,\n  title = {Building a Bird Recognition App and Large Scale Dataset with "
               "Citizen Scientists: The Fine Print in Fine-Grained Dataset Collection},\n  author = {Van Horn, Grant and "
               "Branson, Steve and Farrell, Ryan and Haber, Scott and Barry, Jessie and Ipeirotis, Panos and Perona, Pietro "
               "and Belongie, Serge},\n  booktitle = {IEEE Conference on Computer Vision and Pattern Recognition (CVPR)},\n"
               "  year = {2015},\n}",
    "inat": "@inproceedings{vanhorn2018inaturalist,\n  title = {The iNaturalist Species Classification and Detection "
            "Dataset},\n  author = {Van Horn, Grant and Mac Aodha, Oisin and Song, Yang and Cui, Yin and Sun, Chen and "
            "Shepard, Alex and Adam, Hartwig and Perona, Pietro and Belongie, Serge},\n  booktitle = {IEEE Conference on "
            "Computer Vision and Pattern Recognition (CVPR)},\n  year = {2018},\n}",
    "yfcc": "@article{thomee2016yfcc100m,\n  title = {YFCC100M: The New Data in Multimedia Research},\n  author = {Thomee, "
            "Bart and Shamma, David A. and Friedland, Gerald and Elizalde, Benjamin and Ni, Karl and Poland, Douglas and "
            "Borth, Damian and Li, Li-Jia},\n  journal = {Communications of the ACM},\n  volume = {59},\n  number = {2},\n"
            "  year = {2016},\n}",
    "fmow": "@inproceedings{christie2018fmow,\n  title = {Functional Map of the World},\n  author = {Christie, Gordon and "
            "Fendley, Neil and Wilson, James and Mukherjee, Ryan},\n  booktitle = {IEEE Conference on Computer Vision and "
            "Pattern Recognition (CVPR)},\n  year = {2018},\n}",
    "mosaiks": "@article{rolf2021mosaiks,\n  title = {A generalizable and accessible approach to machine learning with global "
               "satellite imagery},\n  author = {Rolf, Esther and Proctor, Jonathan and Carleton, Tamma and Bolliger, Ian "
               "and Shankar, Vaishaal and Ishihara, Miyabi and Recht, Benjamin and Hsiang, Solomon},\n  journal = {Nature "
               "Communications},\n  volume = {12},\n  year = {2021},\n}",
    "sustainbench": "@inproceedings{yeh2021sustainbench,\n  title = {SustainBench: Benchmarks for Monitoring the Sustainable "
                    "Development Goals with Machine Learning},\n  author = {Yeh, Christopher and Meng, Chenlin and Wang, "
                    "Sherrie and others},\n  booktitle = {NeurIPS Datasets and Benchmarks Track},\n  year = {2021},\n}",
    "eurosat": "@article{helber2019eurosat,\n  title = {EuroSAT: A Novel Dataset and Deep Learning Benchmark for Land Use and "
               "Land Cover Classification},\n  author = {Helber, Patrick and Bischke, Benjamin and Dengel, Andreas and "
               "Borth, Damian},\n  journal = {IEEE Journal of Selected Topics in Applied Earth Observations and Remote "
               "Sensing},\n  volume = {12},\n  number = {7},\n  year = {2019},\n}",
    "worldstrat": "@inproceedings{cornebise2022worldstrat,\n  title = {Open High-Resolution Satellite Imagery: The WorldStrat "
                  "Dataset -- With Application to Super-Resolution},\n  author = {Cornebise, Julien and Or{\\v{s}}oli{\\'c}, "
                  "Ivan and Kalaitzis, Freddie},\n  booktitle = {NeurIPS Datasets and Benchmarks Track},\n  year = {2022},\n}",
}

# Encoder (registry name) -> its own paper.
ENCODER_PAPERS = {"tile": "tile", "wrap": "wrap", "wrap_ffn": "wrap", "rff": "rff", "Space2Vec-grid": "space2vec",
                  "Space2Vec-theory": "space2vec", "xyz": "sphere2vec", "NeRF": "nerf", "Sphere2Vec-sphereC": "sphere2vec",
                  "Sphere2Vec-sphereC+": "sphere2vec", "Sphere2Vec-sphereM": "sphere2vec",
                  "Sphere2Vec-sphereM+": "sphere2vec", "Sphere2Vec-dfs": "sphere2vec", "spherical_harmonics": "sh",
                  "GeoCLIP": "geoclip", "rbf": "torchspatial", "no_prior": "torchspatial"}
# Model id prefix (the importer/runner) -> the paper of the benchmark whose run it is.
SOURCE_PAPERS = {"torchspatial": "torchspatial", "geobs": "gair", "locbench": "locbench"}
FOUNDATION_PAPERS = {"croma": "croma", "satmae": "satmae", "gpt4o": "gpt4o"}
# Dataset name prefix -> its own paper (the packaging benchmark is cited beside it).
DATASET_PAPERS = (("birdsnap", "birdsnap"), ("nabirds", "nabirds"), ("inat", "inat"), ("yfcc", "yfcc"),
                  ("fmow", "fmow"), ("gair-fmow", "satmae"), ("mosaiks", "mosaiks"), ("sustainbench", "sustainbench"),
                  ("gair-eurosat", "eurosat"), ("gair-worldstrat", "worldstrat"), ("geobs-eurosat", "eurosat"),
                  ("geobs-worldstrat", "worldstrat"), ("geobs-fmow", "satmae"))
GROUP_PAPERS = {"locbench": "torchspatial", "sustainbench": "torchspatial", "gair": "gair", "geobs": "gair"}


def benchmark_bibtex() -> str:
    return PAPERS["locbench"]


def _misc(key: str, text: str) -> str:
    clean = re.sub(r"[{}\\]", "", text).strip()
    return f"@misc{{{re.sub(r'[^a-z0-9]', '', key.lower()) or 'ref'},\n  note = {{{clean}}},\n}}"


def dataset_papers(name: str) -> list[str]:
    """Paper keys for a dataset: its own paper (longest matching prefix), then the benchmark that packaged it."""
    from locbench.datasets import get_dataset
    from locbench.errors import NotFoundError

    own = [k for p, k in sorted(DATASET_PAPERS, key=lambda x: -len(x[0])) if name.startswith(p)][:1]
    try:
        group = get_dataset(name).group
    except NotFoundError:
        group = ""
    bench = GROUP_PAPERS.get(group)
    return list(dict.fromkeys(own + ([bench] if bench else [])))


def dataset_bibtex(name: str) -> str:
    """BibTeX entries to cite for a dataset (its own paper and its benchmark; else the registry's citation)."""
    keys = dataset_papers(name)
    if keys:
        return "\n\n".join(PAPERS[k] for k in keys)
    from locbench.datasets import get_dataset
    from locbench.errors import NotFoundError

    try:
        return _misc(name, get_dataset(name).citation)
    except NotFoundError:
        return _misc(name, name)


def encoder_of(model_id: str) -> str | None:
    """The registry encoder a model id runs (`<source>-<slug of the encoder name>`), if any."""
    tail = model_id.split("-", 1)[1] if "-" in model_id else model_id
    return next((e for e in ENCODER_PAPERS if slug(e) == tail), None)


def model_papers(model_id: str) -> list[str]:
    """Paper keys for a model: the encoder's or foundation model's own paper, then the source of the run."""
    keys = []
    enc = encoder_of(model_id)
    if enc is not None:
        keys.append(ENCODER_PAPERS[enc])
    keys += [k for name, k in FOUNDATION_PAPERS.items() if name in model_id.replace("-", "")]
    source = SOURCE_PAPERS.get(model_id.split("-", 1)[0])
    if source:
        keys.append(source)
    return list(dict.fromkeys(keys))


def model_bibtex(model_id: str, card: dict | None = None) -> str:
    """BibTeX entries to cite for a model; a submitted model without a known paper gets a @misc from its card."""
    keys = model_papers(model_id)
    if keys:
        return "\n\n".join(PAPERS[k] for k in keys)
    card = card or {}
    text = "; ".join(str(x) for x in (card.get("name"), card.get("paper_url"), card.get("code_url")) if x)
    return _misc(model_id, text or model_id)

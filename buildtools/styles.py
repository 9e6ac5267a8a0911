"""Digits in many type styles, rendered from pinned fonts: extra training data (build time only).

MNIST's digits come from one population of writers; people drawing on the page
also print, slant and write in script.  This module renders the digits 0–9 of
many free fonts (serif, sans, mono, italic, script, handwriting, rounded,
condensed, bold), each a member of a Debian package pinned by sha256 and fetched
through ``apt-get download`` (see :func:`pynn.data.fetch.deb_member`), and normalises
each exactly as the page normalises a drawing (:func:`pynn.data.digits.normalize_digit`),
so the training images look like what the network is fed.  :func:`style_dataset`
then makes randomly distorted copies with :mod:`pynn.training.augment`.

Needs Pillow (imported only when rendering) and Debian's apt-get and dpkg-deb.
No Hershey font is used here, nor may one be: those are a held-out evaluation set.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from pynn.data.digits import normalize_digit
from pynn.data.fetch import deb_member
from pynn.training.augment import Augmentation, augment

RENDER_SIZE = 160  # font size in pixels for rendering; normalisation brings it down to 20×20


class FontSource(NamedTuple):
    """One font face: a file inside a pinned Debian package."""

    package: str  # apt-get spec, name=version
    package_sha256: str  # of the .deb
    member: str  # path of the font file inside the package
    sha256: str  # of the font file

    @property
    def name(self) -> str:
        return Path(self.member).stem

    def path(self) -> Path:
        """The verified font file, fetched once and cached by hash."""
        return deb_member(*self)


def face(package: tuple[str, str], member: str, sha256: str) -> FontSource:
    return FontSource(*package, member, sha256)


# Debian packages (bookworm), each pinned by the sha256 of its .deb.
URW_BASE35 = ("fonts-urw-base35=20200910-7", "93e4997c99c4c31ea88c5d37e2259af0a0c826b9358931d5a69f794f7f0c73ac")
DEJAVU_CORE = ("fonts-dejavu-core=2.37-6", "8892669e51aab4dc56682c8e39d8ddb7d70fad83c369344e1e240bf3ca22bb76")
DEJAVU_EXTRA = ("fonts-dejavu-extra=2.37-6", "6cb7ed32de6df209c065e9e5cc5154a2f36d4c334d9a0af534fabb67d38ab75b")
FREEFONT_TTF = ("fonts-freefont-ttf=20120503-10", "4ca1c21ebc479198a3a5879d236c8317d6f7b2f1c403f7890e24c02eead05615")
LIBERATION = ("fonts-liberation=1:1.07.4-11", "efd381517f958b01969343634ffcbdd60056be7779af84c6f53a005090430204")
GO = ("fonts-go=0~20170330-1", "6d1f3b1ee1e3d5a25be14137a5c47a732d4c02f7282ea6babf697a002479aa88")
COMIC_NEUE = ("fonts-comic-neue=2.51-4", "6f002dc90d62fde01a2b51f333c09dc6c21ffbfc6ca22d05a84cc049b083c826")
DANCINGSCRIPT = ("fonts-dancingscript=1.2-2", "987b8182611e1f3d9e7b19a82787614470dd8c4ed894a4dedbebc2308703b216")
KAUSHANSCRIPT = ("fonts-kaushanscript=1.02-2.1", "ead16c3fe1fd47037f5afbb5dec765290fb14bff545051a5507ea60186019414")
KRISTI = ("fonts-kristi=20101220-1", "03cdbe9ca6cb5ea863ad652ea94313666f275de526c3cb01e252da93019001c2")
RUFSCRIPT = ("fonts-rufscript=010-6", "72a7300913e52795b7915ac5873eda633a80dcb49bb590711cde83b270b0f606")
DKG_HANDWRITING = ("fonts-dkg-handwriting=0.17-1", "82ee9beae0313e11761af7bb81f4c3fdc91ddd6122ab78490e1b103b9f502709")
BREIP = ("fonts-breip=1:0.5.1-3", "1f0ea903300b89cb55d107ee4a12be82118ada0384d8bd9db0aad8e1f8c1aa49")
SJFONTS = ("fonts-sjfonts=2.1-2", "f6fdb38cb13a7772ebbb03db21ca118125b136caa170e2a77b17d1f9f4c504f0")
HUMOR_SANS = ("fonts-humor-sans=1.0-4", "84bd0c40b65dc345e05396a4ffb64282c14fbbb6e7079126eeabc92bd9fe7311")
COMFORTAA = ("fonts-comfortaa=3.001-3", "33c65e81b201177a56e6528f7ea5fd6b19f2db0bb6f4f95346b9483691851929")
QUICKSAND = ("fonts-quicksand=0.2016-2.1", "1175e5c64f116887b37ec3c8faea1f411bdef356580bc22298c3c9da75fac120")
ISABELLA = ("fonts-isabella=1.202-4", "ee0c30fd0b3fc6f0ab7cf1c1449e55b898fc77d43cd4afc07e936d472e0f80b3")
TOMSONTALKS = ("fonts-tomsontalks=1.1-9", "582a3a540696c8bbcf572c2e6c32d5c3e7ba6a156375b934bde9e9babec2908b")
TLWG_PURISA_TTF = ("fonts-tlwg-purisa-ttf=1:0.7.3-1",
                   "e9081a871f561b19529659e984e9cdb3f2342b776787c6af9f312e862ff4e36d")
FANTASQUE_SANS = ("fonts-fantasque-sans=1.7.2~alpha.3~dfsg-2",
                  "a9ee4dd09015af2835b3d3858d488eb97dceadbab094c0ef11294ba60ed3a269")
LOBSTER = ("fonts-lobster=2.0-2.1", "9379824d3f3bc44844aa07cb9ad4e6bfd99a785e34668c5dba410947b715dc1b")
YANONE_KAFFEESATZ = ("fonts-yanone-kaffeesatz=2.0+git20211102+ds-1",
                     "f877e8ad4fd0aa8c20ac104c9eef69b54dcdc93e2e0d09a01fe5acfc89371980")
OKOLAKS = ("fonts-okolaks=0.6.0-2", "47ce320f90994b80cd6832136246500e652c887ede931ffe412a3f4f16befab5")

FONT_SOURCES: list[FontSource] = [
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf",
         "fd41669443616a7ae890c42e53a58f47fa24a940fd1e367acaff665cf5b6e9d8"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusRoman-Italic.otf",
         "b7c424e6cb79baddfcdcd9a9d87f9fc4fdd06f0e5160066e2b2e47bcd647c7b9"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusRoman-BoldItalic.otf",
         "c84bcb17ab4ee54f16dadad6a3b0b2df37a24f9fc812897c4a59eeca785a5dec"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
         "7c25be4d78155523080ab85b10277150657ff7dabbcad7037bdd536c9b6d0d08"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf",
         "7f33328e6b4d4cd21b45fa625791928c9407dc702db6780e56b09ca9a3ecaa67"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusSans-Italic.otf",
         "7b0bef5686aa58c0fd0f0d01beeae56664208490e30ca6a25431281c9a0c6402"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Regular.otf",
         "0111cf7c05377c4f1685d37bfa8b3edd2033278122f69e0a9803a8514e352b99"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-BoldOblique.otf",
         "3cefbe4a602a08a0400798fc4aba2d48f7b7e05fa6ed54c2009d68adc6eccef9"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
         "4f225ca8e13acb16f733ce741693105e527d5f7a5443901b9ecc190fca4e149b"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/NimbusMonoPS-BoldItalic.otf",
         "a67ed9e364c933c79fc3ce88e17a0265334697c184b065407e754d43cbbf6d0a"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
         "e00cc7b88f0cf25ae43f0e48de39d0043fe042b55719a3ac32669ab3369542ec"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/C059-Italic.otf",
         "77852deabd3a84f7d0213932239de522410309374c2255ccbd510f01dc7c6e80"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/P052-Roman.otf",
         "f054a7389d8d0e9f4c5f7b4c21feb7e2b14bec8004a1e92778a78d149524eea9"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/P052-Italic.otf",
         "1feac6055211cf5c6c812c026e398195070f174064cc4d390f0db01647443b0e"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/URWBookman-Light.otf",
         "7b1bc8e6a16cef53785ce03d4848f8971f3ba38cd9e266e4786a50e08bd9235b"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/URWBookman-DemiItalic.otf",
         "4d9dbaae8178ffa2f5d557245d09dc968eeac9eed7e453cc2db4cc6a9aacb44d"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
         "04318316cee29950805110c9c8949eea189ef5575132881f4d4d7e03e5299903"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/URWGothic-DemiOblique.otf",
         "d57abaa6d40718cfbf735ad50080d0b095e7194e451992e02786a7c0113db35c"),
    face(URW_BASE35, "usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
         "a04947e59fc9339ea3c4b34c31fd46764f22af7512afc2c074ce190e79ed7a09"),
    face(DEJAVU_CORE, "usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
         "abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322"),
    face(DEJAVU_CORE, "usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
         "e2fd85eba2de65ac270d1cdb1685e252eb827f600850cf62af2d20c41b22e945"),
    face(DEJAVU_CORE, "usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
         "0f5db4f1749979d961019838b160bec74abdf7f9eca69553fe1aa856bbff49a4"),
    face(DEJAVU_EXTRA, "usr/share/fonts/truetype/dejavu/DejaVuSans-ExtraLight.ttf",
         "af1ca215bce59dade18223e4591340f2a07d2e193a87356cd216fcc09da70f02"),
    face(DEJAVU_EXTRA, "usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Oblique.ttf",
         "e35007c431fa7d6c8c8b1aeac60bd68ac14869bb7ed70959c6f027e4cdfa8d35"),
    face(DEJAVU_EXTRA, "usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf",
         "889a2b9daff9f091f7cf1ff6c88e5c1a5b55b3afb221571393ccb71ec9301ec9"),
    face(FREEFONT_TTF, "usr/share/fonts/truetype/freefont/FreeMonoOblique.ttf",
         "e8d854cbb19b7f3b2d7cfc93c8ab31595de1b53f78bb81da595a700ae686e7e8"),
    face(FREEFONT_TTF, "usr/share/fonts/truetype/freefont/FreeSerifItalic.ttf",
         "3049ffb26ed8140c13e21d612d78e18ff3dc20123b85d1f7353a1564163a5e9b"),
    face(FREEFONT_TTF, "usr/share/fonts/truetype/freefont/FreeSansBoldOblique.ttf",
         "69cdc7587112f2b2cf6f460da6ce2c19a983a80905a2863dafe7e5a92ad6e4af"),
    face(LIBERATION, "usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf",
         "ccd19036f8e8599e920345105df8d21eb27a66b700ac23968fb14d70259ddb1e"),
    face(LIBERATION, "usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
         "f77fe6ca01c8b043b99743fad34954c53d625263c076aa844c5a5dbf568743ab"),
    face(GO, "usr/share/fonts/fonts-go/Go-Regular.ttf",
         "dd02d2f04dbc9f6329f3777b999fd3985f70b8f69b7c8aa522db3ec1fef9ceb2"),
    face(GO, "usr/share/fonts/fonts-go/Go-Mono-Italic.ttf",
         "11fb74a49ddb08891e3893d48469e75a4544baf0b8aaf1a6b53539417f2333c4"),
    face(COMIC_NEUE, "usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
         "2728ee8f303e31934e62bf27b044fd7657b0613412d51f7444db1078cc3a7cb2"),
    face(COMIC_NEUE, "usr/share/fonts/opentype/comic-neue/ComicNeue-BoldItalic.otf",
         "317338fd1611f4a18476b5fbbeea367816c6663c6e973e770f1b281fcc90fed4"),
    face(DANCINGSCRIPT, "usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
         "38178945aaefdea573f4998d8b984985aaebb95964da337b23e77e682d7d3d17"),
    face(DANCINGSCRIPT, "usr/share/fonts/opentype/dancingscript/DancingScript-Bold.otf",
         "0ef9febbf9cf763e47b51170bc74c5ac0e0cc65918469ec6521729ce11dacd46"),
    face(KAUSHANSCRIPT, "usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf",
         "c007ebe4c813374ed02da003394b73b39fa709ff5891c5613733c96be595ba28"),
    face(KRISTI, "usr/share/fonts/truetype/kristi/Kristi.ttf",
         "6c14164cd50b52d03d88728971285fe1dbf0d6ee8af6d29274b5d5026a0fb622"),
    face(RUFSCRIPT, "usr/share/fonts/truetype/rufscript/Rufscript010.ttf",
         "99b16515f19ab35d18049235797b0dbe3ec73535d455994442b206c96405050f"),
    face(DKG_HANDWRITING, "usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
         "93eb07f57b84f04fa975ebf49ecec43d9b2c85834a9b63864072c6b993efd131"),
    face(DKG_HANDWRITING, "usr/share/fonts/truetype/fifthhorseman/dkgIt.ttf",
         "911843f094cbe0508dd5049e3e610020d97b395cdaa8ed088f0f3af8e3a6e661"),
    face(DKG_HANDWRITING, "usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf",
         "62b88a2819923a5f0ab3944713122d0a0957a4081c0294d00c3205e225d5c3f2"),
    face(BREIP, "usr/share/fonts/truetype/breip/Breip.ttf",
         "cded2aeeeb7d35baa8aa5b57df35a25836910498271d3d2eec502f6aa7033eb7"),
    face(SJFONTS, "usr/share/fonts/truetype/sjfonts/Delphine.ttf",
         "afeea795e392f6b8e0cc4ba3978375908d1f29f8d82f1b7b15d9fdc755a05288"),
    face(SJFONTS, "usr/share/fonts/truetype/sjfonts/SteveHand.ttf",
         "51e0820b832b2cd3db9dc9a759520c868166ae291f19afc3d94689e668d0435e"),
    face(HUMOR_SANS, "usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
         "2ded6a27448c9ed30aaff177744e2bcf1e52e0aab018b2a8be64565df633318f"),
    face(COMFORTAA, "usr/share/fonts/truetype/comfortaa/Comfortaa-Regular.ttf",
         "7aeecaf4c799f24f22e871a6f546ca89116cf11288c7a8ff42f11401dd5445c6"),
    face(COMFORTAA, "usr/share/fonts/truetype/comfortaa/Comfortaa-Bold.ttf",
         "0b82ab5fdba8e0147e38e89237ea4a430f0d7017c313d9b8e56a309acde756c0"),
    face(QUICKSAND, "usr/share/fonts/truetype/quicksand/Quicksand-Light.ttf",
         "6886a0cc046f686511ac860f8c19cd16bef5a91ab2ba46b3f76507454718abe6"),
    face(QUICKSAND, "usr/share/fonts/truetype/quicksand/Quicksand-Bold.ttf",
         "f3d4b33309aeccaede4e371a935608af5be8f640ed51af6f393a523c02e24f1a"),
    face(ISABELLA, "usr/share/fonts/truetype/isabella/Isabella.ttf",
         "9534c73a1838d53fc80b6d81334acf7bbc427ef08e3451b3733077079fdb1572"),
    face(TOMSONTALKS, "usr/share/fonts/truetype/tomsontalks/TomsonTalks.ttf",
         "f7beeee4f3e11e38281f528dcf8a20218c6ce9b7a5b2acdca9f8bef303dd8526"),
    face(TLWG_PURISA_TTF, "usr/share/fonts/truetype/tlwg/Purisa.ttf",
         "cceae46a2c8862c20971b9e7c5297b4c23decda9a674c0eea7ddbd3c799b14dd"),
    face(TLWG_PURISA_TTF, "usr/share/fonts/truetype/tlwg/Purisa-Oblique.ttf",
         "73c6e03e9a33cd3ab47d4744508451bd276ff85994180a7b69eca47356a19def"),
    face(FANTASQUE_SANS, "usr/share/fonts/truetype/fantasque-sans/Normal/TTF/FantasqueSansMono-Regular.ttf",
         "5fa1f36afb10356186928d801941a059803a6c80a6a7b2fb71f1464494d18b67"),
    face(FANTASQUE_SANS, "usr/share/fonts/truetype/fantasque-sans/Normal/TTF/FantasqueSansMono-Italic.ttf",
         "a72d3a18952ecdcc1b56bd4113551d6636677365f6072a050898e3785e676639"),
    face(LOBSTER, "usr/share/fonts/opentype/lobster/lobster.otf",
         "4605f4c5aac8d4bb55a28a63db6c1dd06394d4b6e0cb157f61603fb26021a617"),
    face(YANONE_KAFFEESATZ, "usr/share/fonts/opentype/yanone-kaffeesatz/YanoneKaffeesatz-Regular.otf",
         "23616269c15f7fffb436fb8c29f2a95ba7446562113c02efac7c5488bddb95d6"),
    face(OKOLAKS, "usr/share/fonts/truetype/okolaks/okolaksRegularItalic.ttf",
         "4b9bbbe5dfe9715dbe677b8f8748b4d0590a91a8b9971b8fa8af6153c0925c4e"),
]


def load_pillow():
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise RuntimeError("rendering font digits needs Pillow: pip install pillow") from None
    return Image, ImageDraw, ImageFont


def render_digits(font_path: str | Path, size: int = RENDER_SIZE) -> np.ndarray:
    """(10, 784) uint8: the digits 0–9 of a font, each normalised like a drawing on the page
    (cropped, fitted to 20×20, centred by mass in 28×28).  A font that lacks digits (they
    all render as the same placeholder) is refused."""
    Image, ImageDraw, ImageFont = load_pillow()
    font = ImageFont.truetype(str(font_path), size)
    side = 3 * size
    rows = []
    for digit in range(10):
        canvas = Image.new("L", (side, side), 0)
        ImageDraw.Draw(canvas).text((side // 2, side // 2), str(digit), fill=255, font=font, anchor="mm")
        column = normalize_digit(np.asarray(canvas))
        rows.append(np.rint(np.clip(column[:, 0], 0, 1) * 255).astype(np.uint8))
    images = np.stack(rows)
    if len(np.unique(images, axis=0)) != 10:
        raise ValueError(f"{Path(font_path).name}: some digits render identically; the font lacks them")
    return images


def rendered_digits(sources: list[FontSource] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Clean renderings of every face: images (n, 784) uint8, labels (n,), face name per image."""
    sources = FONT_SOURCES if sources is None else sources
    images = [render_digits(source.path()) for source in sources]
    names = [source.name for source in sources for _ in range(10)]
    return np.concatenate(images), np.tile(np.arange(10, dtype=np.uint8), len(sources)), names


def style_dataset(seed: int, copies: int, settings: Augmentation | None = None, include_clean: bool = False,
                  sources: list[FontSource] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Training data from fonts: images (n, 784) uint8 and labels (n,) uint8, with ``copies``
    randomly distorted variants of every face's every digit (plus the clean renderings
    first, if ``include_clean``).  Deterministic in ``seed``."""
    if isinstance(copies, bool) or not isinstance(copies, (int, np.integer)) or copies < 0:
        raise ValueError(f"copies must be a whole number ≥ 0, got {copies!r}")
    clean, labels, _ = rendered_digits(sources)
    rng = np.random.default_rng(seed)
    variants = augment(np.repeat(clean, copies, axis=0), rng, settings)
    images = np.concatenate([clean, variants]) if include_clean else variants
    all_labels = np.concatenate([labels, np.repeat(labels, copies)]) if include_clean else np.repeat(labels, copies)
    return images, all_labels

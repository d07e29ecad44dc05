-- WordPress: the markup every theme inherits from core (entry-header,
-- entry-content, the html5 comment walker) and from Jetpack (sharedaddy
-- share buttons, related posts).  A shared base: no hosts, so site.lua never
-- picks it; a site rule says `extends = "sites.cms_wordpress"` and adds its
-- hosts, tests and tweaks.  Comments come out in thread order (a reply
-- follows its parent), one {author, date, text} each.
return {
  remove = { ".sharedaddy", "#jp-relatedposts", ".entry-content script", "ins.adsbygoogle" },
  fields = {
    title = "h1.entry-title",
    authors = { ".entry-header .byline .author a", all = true },
    published = { ".entry-header time.published::attr(datetime)", date = true },
    modified = { ".entry-header time.updated::attr(datetime)", date = true },
    body = { ".entry-content", paragraphs = true, required = true },
    categories = { ".cat-links a[rel~=tag]", all = true },
    tags = { ".tags-links a[rel=tag]", all = true },
    comments = { ".comment-list li.comment", all = true, fields = {
      author = ".comment-author .fn",
      date = { ".comment-metadata time::attr(datetime)", ".comment-metadata a", date = true },
      text = { ".comment-content", paragraphs = true, required = true },
    } },
  },
}

package org.conduit.search;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.tartarus.snowball.ext.EnglishStemmer;

/**
 * Elasticsearch's integration-test distribution (the one on Maven Central) leaves out the
 * analysis-common and rest-root modules of the full distribution. This plugin gives back exactly
 * what Conduit uses of them, with the same names and the same Lucene classes: the `stemmer`
 * filter (languages porter2 / english and possessive_english), the `asciifolding` filter, and
 * `GET /` and `HEAD /` (what clients ping). Anything else stays unknown, as it would be here.
 */
public class ConduitTestModulesPlugin extends Plugin implements AnalysisPlugin, ActionPlugin {

  @Override
  public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
    return Map.of(
        "stemmer", (indexSettings, environment, name, settings) -> stemmer(name, settings.get("language", "english")),
        "asciifolding", (indexSettings, environment, name, settings) -> filter(name, ASCIIFoldingFilter::new));
  }

  private static TokenFilterFactory stemmer(String name, String language) {
    return switch (language) {
      case "english", "porter2" -> filter(name, stream -> new SnowballFilter(stream, new EnglishStemmer()));
      case "possessive_english" -> filter(name, EnglishPossessiveFilter::new);
      default -> throw new IllegalArgumentException("stemmer language [" + language + "] is not in the test modules");
    };
  }

  private static TokenFilterFactory filter(String name, Function<TokenStream, TokenStream> create) {
    return new TokenFilterFactory() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public TokenStream create(TokenStream stream) {
        return create.apply(stream);
      }
    };
  }

  @Override
  public Collection<RestHandler> getRestHandlers(Settings settings, NamedWriteableRegistry namedWriteableRegistry, RestController restController,
      ClusterSettings clusterSettings, IndexScopedSettings indexScopedSettings, SettingsFilter settingsFilter,
      IndexNameExpressionResolver indexNameExpressionResolver, Supplier<DiscoveryNodes> nodesInCluster, Predicate<NodeFeature> clusterSupportsFeature) {
    return List.of(new BaseRestHandler() {
      @Override
      public String getName() {
        return "conduit_main_action";
      }

      @Override
      public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
      }

      @Override
      protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        String body = "{\"name\":\"" + settings.get("node.name", "") + "\",\"cluster_name\":\"" + settings.get("cluster.name", "")
            + "\",\"version\":{\"number\":\"" + Build.current().version() + "\",\"build_flavor\":\"default\"},\"tagline\":\"You Know, for Search\"}";
        return channel -> channel.sendResponse(new RestResponse(RestStatus.OK, "application/json", body));
      }
    });
  }
}
